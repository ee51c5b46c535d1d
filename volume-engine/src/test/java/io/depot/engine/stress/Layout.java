package io.depot.engine.stress;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the actors of one base volume work. Writers own interleaved blocks of two and a half
 * clusters plus a sector, so neighbouring blocks of different writers share a cluster (their
 * read-modify-writes of that cluster race); a shared range follows that every writer hammers; the
 * compare-and-write range straddles a cluster boundary; a tail of clusters is never written.
 */
record Layout(int clusterSectors, List<List<SectorRange>> ownedByWriter, SectorRange shared,
        SectorRange compareAndWrite, long sizeSectors) {

    static Layout of(int clusterSectors, int writers, int blocksPerWriter) {
        int block = 2 * clusterSectors + clusterSectors / 2 + 1;
        long pos = clusterSectors / 4 + 3;   // deliberately not cluster aligned
        List<List<SectorRange>> owned = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            owned.add(new ArrayList<>());
        }
        for (int b = 0; b < writers * blocksPerWriter; b++) {
            owned.get(b % writers).add(new SectorRange(pos, block));
            pos += block;
        }
        SectorRange shared = new SectorRange(pos, 3 * clusterSectors + 5);
        pos = shared.end();
        int half = Math.min(8, clusterSectors / 2);
        long boundary = Math.ceilDiv(pos + half, clusterSectors) * (long) clusterSectors;
        SectorRange caw = new SectorRange(boundary - half, 2 * half);
        long size = (Math.ceilDiv(caw.end(), clusterSectors) + 2) * (long) clusterSectors;
        return new Layout(clusterSectors, owned, shared, caw, size);
    }

    long sizeBytes() { return sizeSectors * SectorRange.SECTOR; }

    long sizeClusters() { return sizeSectors / clusterSectors; }

    /** The compare-and-write range cut at its cluster boundary: each part is read atomically by the engine. */
    List<SectorRange> compareAndWriteParts() {
        long boundary = (compareAndWrite.first() / clusterSectors + 1) * clusterSectors;
        return List.of(new SectorRange(compareAndWrite.first(), (int) (boundary - compareAndWrite.first())),
                new SectorRange(boundary, (int) (compareAndWrite.end() - boundary)));
    }
}
