package io.depot.engine.stress;

import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What a volume (or clone) may legally contain, sector by sector, and the check of every read
 * against it.
 *
 * <p>The rule, per sector: a read observed during [start, end] may return the data of operation W
 * only if W began before the read ended and no other operation on that sector both began after W
 * returned and returned before the read began (W would then certainly be overwritten). Zeros are
 * allowed the same way for unmaps, or if nothing completed on the sector before the read began and
 * its initial state is zero. A clone's initial state is its origin snapshot's contents.
 *
 * <p>For a sector only one thread writes, this is exact: the read must return that thread's last
 * write (unless one is in flight). For the shared range it allows exactly the values some writer
 * could have left there. Foreign, misplaced, stale, phantom and garbage sectors are explained.
 */
final class VolumeModel {
    private static final int REPORTED_PER_READ = 4;

    final int id;
    final String name;
    final long sizeSectors;
    final int clusterSectors;
    /** Sectors that must always change together (compare-and-write), or null. */
    final SectorRange atomicRange;
    private final History history;
    private volatile Volume volume;
    /** Identity per sector of the clone's origin snapshot, or null for a volume that started empty. */
    private final long[] base;
    private final String baseName;
    private final AtomicLongArray latestCompletedStart;
    private final Map<Long, Queue<Op>> unmapsBySector = new ConcurrentHashMap<>();
    /** Per cluster, 1 if the head maps data. Only exact for base volumes (see {@link #completed}). */
    private final AtomicIntegerArray allocated;

    VolumeModel(int id, String name, Volume volume, long sizeSectors, int clusterSectors, SectorRange atomicRange,
            History history, long[] base, String baseName) {
        this.id = id;
        this.name = name;
        this.volume = volume;
        this.sizeSectors = sizeSectors;
        this.clusterSectors = clusterSectors;
        this.atomicRange = atomicRange;
        this.history = history;
        this.base = base;
        this.baseName = baseName;
        this.latestCompletedStart = new AtomicLongArray((int) sizeSectors);
        this.allocated = new AtomicIntegerArray((int) Math.ceilDiv(sizeSectors, clusterSectors));
    }

    Volume volume() { return volume; }

    void rebind(Volume v) { this.volume = v; }

    // ------------------------------------------------------------------ bookkeeping of operations

    void begun(Op op) {
        if (op.kind == Op.Kind.UNMAP) {
            for (long s = op.range.first(); s < op.range.end(); s++) {
                unmapsBySector.computeIfAbsent(s, k -> new ConcurrentLinkedQueue<>()).add(op);
            }
        }
    }

    /**
     * Publishes a completed operation (its end is already set). Allocation: a write maps every
     * cluster it touches; an unmap frees the clusters it covers whole. The test only unmaps whole
     * clusters inside one writer's block, which nobody else touches, so this is exact for base volumes.
     */
    void completed(Op op) {
        for (long s = op.range.first(); s < op.range.end(); s++) {
            latestCompletedStart.accumulateAndGet((int) s, op.id, Math::max);
        }
        long firstCluster = op.range.first() / clusterSectors;
        long lastCluster = op.range.last() / clusterSectors;
        for (long c = firstCluster; c <= lastCluster; c++) {
            boolean whole = c * clusterSectors >= op.range.first() && (c + 1) * clusterSectors <= op.range.end();
            if (op.kind != Op.Kind.UNMAP) {
                allocated.set((int) c, 1);
            } else if (whole) {
                allocated.set((int) c, 0);
            }
        }
    }

    long expectedAllocatedClusters() {
        long n = 0;
        for (int c = 0; c < allocated.length(); c++) {
            n += allocated.get(c);
        }
        return n;
    }

    long[] sampleLatestCompleted(SectorRange r) {
        long[] m = new long[r.count()];
        for (int i = 0; i < m.length; i++) {
            m[i] = latestCompletedStart.get((int) (r.first() + i));
        }
        return m;
    }

    // ------------------------------------------------------------------ reads

    SectorRange whole() { return new SectorRange(0, (int) sizeSectors); }

    /** Reads a range of the head and checks it; returns each sector's identity (op id, 0 zeros, -1 garbage). */
    long[] readAndCheck(SectorRange r, String view, List<String> problems) {
        byte[] data = new byte[r.byteLength()];
        long[] latest = sampleLatestCompleted(r);
        long start = history.tick();
        volume.read(r.byteOffset(), ByteBuffer.wrap(data));
        long end = history.tick();
        return check(data, new ReadWindow(r.first(), latest, start, end), view, problems);
    }

    /** Checks {@code data}, observed during {@code w}, sector by sector against the rule above. */
    long[] check(byte[] data, ReadWindow w, String view, List<String> problems) {
        int count = data.length / SectorPayload.BYTES;
        long[] ids = new long[count];
        int bad = 0;
        for (int i = 0; i < count; i++) {
            long s = w.first() + i;
            String problem = judge(data, i * SectorPayload.BYTES, s, w.latestCompleted()[i], w.end(), ids, i);
            if (problem != null && bad++ < REPORTED_PER_READ) {
                problems.add(view + ", sector " + s + " (cluster " + s / clusterSectors + ", byte " + s * SectorPayload.BYTES
                        + ", observed t" + w.start() + "-t" + w.end() + "): " + problem);
            }
        }
        if (bad > REPORTED_PER_READ) {
            problems.add(view + ": " + (bad - REPORTED_PER_READ) + " more bad sectors in the same observation of sectors "
                    + w.first() + ".." + (w.first() + count - 1));
        }
        return ids;
    }

    private String judge(byte[] data, int at, long s, long latest, long observedEnd, long[] ids, int i) {
        SectorPayload.Decoded d = SectorPayload.decode(data, at);
        long baseId = base == null ? 0 : base[(int) s];
        switch (d.kind()) {
            case GARBAGE -> {
                ids[i] = -1;
                return "unrecognisable contents, neither zeros nor a test sector (torn, corrupt, or a freed cluster's raw bytes): "
                        + SectorPayload.hexHead(data, at);
            }
            case ZERO -> {
                ids[i] = 0;
                if (baseId == 0 && latest == 0) {
                    return null;   // the initial state, and nothing has certainly replaced it
                }
                for (Op z : unmapsBySector.getOrDefault(s, EMPTY)) {
                    if (!z.failed && z.start() < observedEnd && z.end >= latest) {
                        return null;
                    }
                }
                return "reads zeros, but " + whatMustShow(latest, baseId) + ", and no unmap could explain zeros";
            }
            default -> {
                ids[i] = d.opId();
                Op op = history.get(d.opId());
                if (op == null) {
                    return "holds op id " + d.opId() + " that was never written (phantom)";
                }
                if (d.volumeId() != op.volume.id || !op.range.contains(d.sector())) {
                    return "holds a sector whose header disagrees with " + op + " (volume " + d.volumeId() + ", sector " + d.sector() + ")";
                }
                if (d.sector() != s) {
                    return "holds the sector " + op + " wrote for sector " + d.sector() + " (misplaced)";
                }
                if (op.volume != this) {
                    if (d.opId() == baseId) {
                        return latest == 0 ? null : "still shows the clone origin's " + op + " although " + whatMustShow(latest, 0);
                    }
                    return "holds foreign data of volume " + op.volume.name + ": " + op
                            + (base == null ? "" : "; the origin snapshot " + baseName + " holds "
                            + (baseId == 0 ? "zeros" : "op#" + baseId) + " here");
                }
                if (op.failed) {
                    return "holds data of " + op + ", which did not apply";
                }
                if (op.start() >= observedEnd) {
                    return "holds " + op + ", which began only after the observation ended";
                }
                if (op.end < latest) {
                    return "holds stale " + op + "; " + whatMustShow(latest, baseId);
                }
                return null;
            }
        }
    }

    private String whatMustShow(long latest, long baseId) {
        if (latest != 0) {
            return "the later " + history.get(latest) + " had completed before the observation began";
        }
        return "its origin snapshot " + baseName + " holds " + history.get(baseId) + " there and the clone never touched it";
    }

    private static final Queue<Op> EMPTY = new ConcurrentLinkedQueue<>();

    @Override
    public String toString() { return name; }
}
