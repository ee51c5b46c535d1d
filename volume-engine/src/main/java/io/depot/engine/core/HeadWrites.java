package io.depot.engine.core;

import io.depot.engine.CompareMismatchException;
import io.depot.engine.InvalidIoException;
import io.depot.engine.core.Records.SnapshotRecord;
import io.depot.engine.store.MetaBatch;
import org.roaringbitmap.longlong.Roaring64NavigableMap;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One volume's write path: overwrites in place, copy-on-write into fresh clusters, multi-cluster
 * runs, unmap and compare-and-write, with the retirement of the mappings they replace. The volume's
 * state ({@link VolumeState}) stays the one owner of epoch, origin and counters; this class only
 * changes mappings, under the locks the state hands out.
 */
final class HeadWrites {
    private final VolumeState vol;
    private final PoolContext ctx;
    private final int clusterSize;
    private final int clusterShift;
    private final MappingCache cache;
    private final CommitPipeline pipeline;
    /** 4 KiB blocks per cluster: CRCs per mapping. */
    private final int blocks;

    HeadWrites(VolumeState v, PoolContext ctx) {
        this.vol = v;
        this.ctx = ctx;
        this.clusterSize = ctx.clusterSize;
        this.clusterShift = ctx.clusterShift;
        this.cache = ctx.cache;
        this.pipeline = ctx.pipeline;
        this.blocks = ctx.blocksPerCluster;
    }

    /** Writes {@code src.remaining()} bytes at {@code offset}; with {@code fua} they are durable on return. */
    void write(long offset, ByteBuffer src, boolean fua) {
        int length = src.remaining();
        vol.enterIo();
        try {
            vol.checkRange(offset, length);
            long last = length == 0 ? 0 : (offset + length - 1) >>> clusterShift;
            if (length > 0 && last == offset >>> clusterShift) {
                writeCluster(offset >>> clusterShift, (int) (offset & (clusterSize - 1)), length, src, null);
            } else if (length > 0) {
                // a multi-cluster write holds all its stripes (in index order, as reads do), decides every
                // cluster first and writes each run of physically contiguous clusters in one call
                ReentrantLock[] locks = ctx.stripesFor(vol.id(), offset >>> clusterShift, last);
                PoolContext.lockAll(locks);
                RunReservation run = new RunReservation(last);
                try {
                    writeRuns(offset, length, src, run);
                } finally {
                    run.returnUnused(ctx.allocator);
                    PoolContext.unlockAll(locks);
                }
            }
        } finally {
            vol.exitIo();
        }
        if (fua) {
            pipeline.flush();
        }
    }

    /**
     * Deallocates a range: it reads as zeros afterwards and whole clusters go back to the pool
     * (once no snapshot needs them). Partial clusters at the edges are zeroed in place.
     */
    void unmap(long offset, long length) {
        vol.enterIo();
        try {
            vol.checkRange(offset, length);
            unmapRange(offset, length);
        } finally {
            vol.exitIo();
        }
    }

    /** Unmaps a range without the bounds check (a shrink cuts its tail this way, holding {@link #ioLock} exclusively). */
    void unmapRange(long offset, long length) {
        if (length == 0) {
            return;
        }
        int cs = clusterSize;
        long end = offset + length;
        long firstWhole = (offset + cs - 1) >>> clusterShift;
        long endWhole = end >>> clusterShift;
        if (firstWhole >= endWhole) {   // within one cluster, or across one boundary without a whole cluster
            forEachCluster(offset, (int) length, this::zeroPartial);
            return;
        }
        if (offset < firstWhole << clusterShift) {
            long cluster = firstWhole - 1;
            int within = (int) (offset & (cs - 1));
            zeroPartial(cluster, within, cs - within);
        }
        var it = unmapCandidates(firstWhole, endWhole).getLongIterator();
        while (it.hasNext()) {
            unmapCluster(it.next());
        }
        if (end > endWhole << clusterShift) {
            zeroPartial(endWhole, 0, (int) (end - (endWhole << clusterShift)));
        }
    }

    /**
     * The clusters in [from, to) that an unmap must visit: those with a mapping of their own (committed,
     * or staged and so in a cached page) and, for a clone, those its origin chain maps. Everything else
     * already reads as zeros, so discarding a huge empty range costs nothing.
     */
    private Roaring64NavigableMap unmapCandidates(long from, long to) {
        Roaring64NavigableMap set = new Roaring64NavigableMap();
        OriginChain.forEachMappedCluster(ctx.meta, vol, from, to, set::addLong);
        cache.forEachCachedMapping(vol.pages(), from, to, set::addLong);
        return set;
    }

    /**
     * Atomically compares {@code expected} with the data at {@code offset} and, if equal, writes
     * {@code replacement} there. Both buffers must have the same length. Every cluster of the range
     * is locked for the whole operation, so no other writer can interleave.
     */
    void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement, boolean fua) {
        int length = expected.remaining();
        if (replacement.remaining() != length) {
            throw new InvalidIoException("compare-and-write buffers differ in length: " + length + " vs " + replacement.remaining());
        }
        vol.enterIo();
        try {
            vol.checkRange(offset, length);
            ReentrantLock[] locks = ctx.stripesFor(vol.id(), offset >>> clusterShift, (offset + length - 1) >>> clusterShift);
            PoolContext.lockAll(locks);
            try {
                ByteBuffer current = ByteBuffer.allocate(length);
                ReadSink into = ReadSink.into(ctx.blocks, current);
                forEachCluster(offset, length, (cluster, within, n) -> vol.readHeadCluster(cluster, within, n, into));
                current.flip();
                int mismatch = expected.mismatch(current);
                if (mismatch >= 0) {
                    throw new CompareMismatchException(mismatch);
                }
                forEachCluster(offset, length, (cluster, within, n) -> writeCluster(cluster, within, n, replacement, null));
            } finally {
                PoolContext.unlockAll(locks);
            }
        } finally {
            vol.exitIo();
        }
        if (fua) {
            pipeline.flush();
        }
    }

    private interface ClusterOp { void apply(long cluster, int within, int length); }

    private void forEachCluster(long offset, int length, ClusterOp op) {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long cluster = pos >>> clusterShift;
            int within = (int) (pos & (clusterSize - 1));
            int n = (int) Math.min(clusterSize - within, end - pos);
            op.apply(cluster, within, n);
            pos += n;
        }
    }

    private void writeCluster(long cluster, int within, int length, ByteBuffer src, RunReservation run) {
        vol.changeSlot(cluster, (page, i) -> {
            long v = page.values[i];
            long birth = page.births[i];
            long e = vol.epoch();
            if (MappingValue.isData(v) && birth == e) {
                if (MappingValue.isOverlay(v)) {
                    return overwriteOverlay(page, i, cluster, v, within, length, src);
                }
                // owned by the head alone: overwrite in place, no metadata
                overwriteInPlace(page, i, cluster, v, within, length, src);
                return 0;
            }
            if (length < clusterSize && MappingValue.hasChecksums(v) && seenBySnapshot(birth, e)) {
                // the first partial write since a snapshot: only the blocks it touches go to a fresh cluster
                ClusterAllocator.Allocation a = run == null ? ctx.allocate(false) : run.take(ctx, cluster, false);
                return overlayRedirect(page, i, cluster, v, birth, e, within, length, src, a);
            }
            // the fresh cluster is written whole unless a partial write lands where nothing lies beneath
            boolean whole = length == clusterSize || MappingValue.isData(v) || (MappingValue.isNone(v) && vol.hasOrigin());
            ClusterAllocator.Allocation a = run == null ? ctx.allocate(whole) : run.take(ctx, cluster, whole);
            return redirect(page, i, cluster, v, birth, e, within, length, src, a);
        });
    }

    /**
     * Writes a multi-cluster range whose stripes the caller holds. Clusters the head owns (overwritten
     * in place) and clusters the write covers whole (redirected to fresh clusters of {@code run}, no
     * copy needed) are gathered into runs that are contiguous in the data file and written with one
     * positional write each; the fresh clusters are mapped only once their run is written (data before
     * the metadata that points to it). A partial cluster that needs a copy or a clean cluster goes
     * through {@link #writeCluster} as before.
     */
    private void writeRuns(long offset, int length, ByteBuffer src, RunReservation run) {
        int cs = clusterSize;
        long e = vol.epoch();
        ContiguousRun pending = new ContiguousRun(clusterShift, blocks);
        try {
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                long cluster = pos >>> clusterShift;
                int within = (int) (pos & (cs - 1));
                int n = (int) Math.min(cs - within, end - pos);
                MapPage page = cache.page(vol.pages(), cluster);
                int slot = (int) (cluster & (MapPage.SIZE - 1));
                long v = page.values[slot];
                long birth = page.births[slot];
                if (MappingValue.isOverlay(v) && birth == e) {
                    // the head's own overlay: blocks it still reads from its base change its mapping
                    writePending(pending, src, e);
                    writeCluster(cluster, within, n, src, run);
                } else if (MappingValue.isData(v) && birth == e) {
                    // owned by the head alone: overwritten in place, no metadata
                    long phys = MappingValue.phys(v);
                    if (!pending.extend(phys, within, n)) {
                        writePending(pending, src, e);
                        pending.extend(phys, within, n);
                    }
                    if (MappingValue.hasChecksums(v)) {
                        ctx.openPages.enter(page, slot);
                        pending.enteredInPlace(page, slot, cluster, phys, within, n, pending.length() - n);
                    }
                } else if (n == cs) {
                    // covered whole: a fresh cluster takes it as it is, nothing to copy
                    long phys = run.take(ctx, cluster, true).phys();
                    if (!pending.extend(phys, 0, n)) {
                        try {
                            writePending(pending, src, e);
                        } catch (RuntimeException ex) {
                            pipeline.stage(new MetaBatch(), phys);   // never written nor mapped
                            throw ex;
                        }
                        pending.extend(phys, 0, n);
                    }
                    pending.redirected(cluster, v, birth, phys);
                    BlockChecksums.crcs(src, src.position() + pending.length() - n, blocks, pending.crcs(),
                            pending.crcFrom(pending.redirects() - 1));
                } else {
                    writePending(pending, src, e);
                    writeCluster(cluster, within, n, src, run);
                }
                pos += n;
            }
            writePending(pending, src, e);
        } catch (RuntimeException ex) {
            pending.exitInPlace(ctx.openPages);
            pending.abandon(pipeline);
            throw ex;
        }
    }

    /** Writes the pending run from {@code src}'s position, then maps the clusters it redirected. */
    private void writePending(ContiguousRun pending, ByteBuffer src, long e) {
        if (pending.length() > 0) {
            long at = ctx.position(pending.firstPhys(), pending.within());
            try {
                inPlaceCrcs(pending, src);
                ctx.writePhysical(pending.firstPhys(), pending.within(), pending.length(), src);   // advances src
            } finally {
                pending.exitInPlace(ctx.openPages);
            }
            ctx.damage.cleared(at, at + pending.length());
        }
        for (int k = pending.mapped(); k < pending.redirects(); k = pending.mapped()) {
            long c = pending.cluster(k);
            long v = pending.oldValue(k);
            long birth = pending.oldBirth(k);
            long phys = pending.newPhys(k);
            int[] crcs = pending.crcs();
            int from = pending.crcFrom(k);
            vol.changeSlot(c, (page, i) -> publish(page, i, c, v, birth, e, phys, crcs, from));
            pending.markMapped();
        }
        pending.clear();
    }

    /**
     * The new CRCs of a run's overwrites in place, right before the run is written: all computed
     * (blocks written in part checked) before any page changes, so a failure leaves every CRC as it was.
     */
    private void inPlaceCrcs(ContiguousRun pending, ByteBuffer src) {
        int count = pending.inPlace();
        if (count == 0) {
            return;
        }
        int[] crcs = new int[count * blocks];
        for (int k = 0; k < count; k++) {
            int bad = InPlaceCrcs.compute(ctx, pending.inPlacePage(k), pending.inPlaceSlot(k), pending.inPlacePhys(k), pending.inPlaceWithin(k),
                    pending.inPlaceLength(k), src, src.position() + pending.inPlaceOffset(k), crcs, k * blocks);
            if (bad >= 0) {
                throw damaged(pending.inPlaceCluster(k), pending.inPlacePhys(k), bad);
            }
        }
        for (int k = 0; k < count; k++) {
            InPlaceCrcs.apply(pending.inPlacePage(k), pending.inPlaceSlot(k), pending.inPlaceWithin(k), pending.inPlaceLength(k), crcs, k * blocks);
        }
    }

    /** Writes into a fresh cluster (first write, or copy-on-write of a shared one) and maps it. */
    private long redirect(MapPage page, int i, long cluster, long v, long birth, long e, int within, int length, ByteBuffer src,
                          ClusterAllocator.Allocation a) {
        int[] crcs = freshCrcs();
        try {
            int cs = clusterSize;
            boolean readsThrough = MappingValue.isNone(v) && vol.hasOrigin();
            if (length == cs) {
                BlockChecksums.crcs(src, src.position(), blocks, crcs, 0);
                ctx.writePhysical(a.phys(), 0, cs, src);
            } else if (a.clean() && !MappingValue.isData(v) && !readsThrough) {
                // a clean cluster already reads as zeros around the new bytes
                cleanPartialCrcs(within, length, src, crcs);
                ctx.writePhysical(a.phys(), within, length, src);
            } else {
                ByteBuffer image = ctx.clusterBuffers.acquire();
                try {
                    if (MappingValue.isOverlay(v)) {
                        OverlaySlot overlay = OverlaySlot.of(page, i);
                        readKept(image, within, length, (at, n, sink) -> overlay.read(ctx, vol, null, cluster, at, n, sink));
                    } else if (MappingValue.isData(v)) {
                        ctx.readPhysical(MappingValue.phys(v), 0, cs, image);
                        checkKept(page, i, cluster, v, image, within, length);
                    } else if (readsThrough) {
                        VolumeState origin = vol.origin();
                        readKept(image, within, length, (at, n, sink) -> origin.readClusterAt(vol.originEpoch(), cluster, at, n, sink));
                    } else {
                        PoolContext.putZeros(image, cs);
                    }
                    image.clear().position(within);
                    int limit = src.limit();
                    src.limit(src.position() + length);
                    image.put(src);
                    src.limit(limit);
                    image.clear();
                    BlockChecksums.crcs(image, 0, blocks, crcs, 0);
                    ctx.writePhysical(a.phys(), 0, cs, image);
                } finally {
                    ctx.clusterBuffers.release(image);
                }
            }
        } catch (RuntimeException ex) {
            pipeline.stage(new MetaBatch(), a.phys());   // never mapped: give it back after the next commit
            throw ex;
        }
        return publish(page, i, cluster, v, birth, e, a.phys(), crcs, 0);
    }

    private interface ClusterReader { void read(int within, int length, ReadSink dst); }

    /**
     * Reads (checked) into the cluster image only the blocks a write of {@code length} bytes at
     * {@code within} keeps, whole or in part; the blocks it covers whole are left as zeros (the write
     * replaces them, so damage there is overwritten, not refused).
     */
    private void readKept(ByteBuffer image, int within, int length, ClusterReader reader) {
        int cs = clusterSize;
        int keepTo = (within + BlockChecksums.BLOCK - 1) & -BlockChecksums.BLOCK;   // blocks before, and the one it starts inside
        int keepFrom = (within + length) & -BlockChecksums.BLOCK;                  // the one it ends inside, and blocks after
        image.clear();
        if (keepFrom < keepTo) {   // inside one block
            reader.read(0, cs, ReadSink.into(ctx.blocks, image));
            return;
        }
        if (keepTo > 0) {
            reader.read(0, keepTo, ReadSink.into(ctx.blocks, image));
        }
        PoolContext.putZeros(image, keepFrom - keepTo);
        if (keepFrom < cs) {
            reader.read(keepFrom, cs - keepFrom, ReadSink.into(ctx.blocks, image));
        }
    }

    /** Per-thread CRCs of the cluster being written (kept off the heap churn of the write path). */
    private static final ThreadLocal<int[]> FRESH_CRCS = ThreadLocal.withInitial(() -> new int[16]);

    /** This thread's CRC array, at least a cluster's worth (its contents are the caller's to fill). */
    private int[] freshCrcs() {
        int[] crcs = FRESH_CRCS.get();
        if (crcs.length < blocks) {
            crcs = new int[blocks];
            FRESH_CRCS.set(crcs);
        }
        return crcs;
    }

    /** CRCs of a clean cluster after a partial write: written blocks from {@code src}, the rest zeros. */
    private void cleanPartialCrcs(int within, int length, ByteBuffer src, int[] crcs) {
        int at = src.position();
        for (int b = 0; b < blocks; b++) {
            int bStart = b << BlockChecksums.SHIFT;
            int bEnd = bStart + BlockChecksums.BLOCK;
            int from = Math.max(bStart, within);
            int to = Math.min(bEnd, within + length);
            if (from >= to) {
                crcs[b] = BlockChecksums.ZERO_BLOCK;
            } else if (from == bStart && to == bEnd) {
                crcs[b] = BlockChecksums.crc(src, at + (bStart - within), BlockChecksums.BLOCK);
            } else {
                ByteBuffer block = BlockChecksums.scratch();
                PoolContext.putZeros(block, BlockChecksums.BLOCK);
                block.put(from - bStart, src, at + (from - within), to - from);
                crcs[b] = BlockChecksums.crc(block, 0, BlockChecksums.BLOCK);
            }
        }
    }

    /**
     * Copy-on-write: checks the blocks of the old cluster's image that the write does not cover
     * whole (they are carried into the new cluster), so damage is never copied into a fresh CRC.
     */
    private void checkKept(MapPage page, int i, long cluster, long v, ByteBuffer image, int within, int length) {
        if (!MappingValue.hasChecksums(v)) {
            return;
        }
        for (int b = 0; b < blocks; b++) {
            int bStart = b << BlockChecksums.SHIFT;
            boolean covered = within <= bStart && within + length >= bStart + BlockChecksums.BLOCK;
            if (!covered && BlockChecksums.crc(image, bStart, BlockChecksums.BLOCK) != page.crcs[i * blocks + b]) {
                throw damaged(cluster, MappingValue.phys(v), bStart);
            }
        }
    }

    /**
     * An overwrite in place. Of a checksummed cluster: its page is entered as open (see
     * {@link OpenPages}) and the CRCs of the blocks it touches are updated before the bytes go out.
     */
    private void overwriteInPlace(MapPage page, int i, long cluster, long v, int within, int length, ByteBuffer src) {
        long phys = MappingValue.phys(v);
        if (!MappingValue.hasChecksums(v)) {
            ctx.writePhysical(phys, within, length, src);
            return;
        }
        ctx.openPages.enter(page, i);
        try {
            updateCrcs(page, i, cluster, phys, within, length, src, src.position());
            ctx.writePhysical(phys, within, length, src);
        } finally {
            ctx.openPages.exit(page, i);
        }
        ctx.damage.cleared(ctx.position(phys, within), ctx.position(phys, within) + length);
    }

    /**
     * Updates the CRCs of the blocks of slot {@code i} that the write overwrites (see
     * {@link InPlaceCrcs}); a damaged block it would keep part of fails the write, nothing changed.
     */
    private void updateCrcs(MapPage page, int i, long cluster, long phys, int within, int length, ByteBuffer src, int srcAt) {
        int[] out = freshCrcs();
        int bad = InPlaceCrcs.compute(ctx, page, i, phys, within, length, src, srcAt, out, 0);
        if (bad >= 0) {
            throw damaged(cluster, phys, bad);
        }
        InPlaceCrcs.apply(page, i, within, length, out, 0);
    }

    /** Records a damaged block of the head found by a write that must keep its other bytes, and the error to throw. */
    private io.depot.engine.DataCorruptionException damaged(long cluster, long phys, int blockStart) {
        long logical = (cluster << clusterShift) + blockStart;
        return ctx.damage.readFailed(vol, null, ctx.position(phys, blockStart), logical, logical);
    }

    /** True if a snapshot sees the head mapping born at {@code birth} (it stays on the deadlist when replaced at {@code e}). */
    private boolean seenBySnapshot(long birth, long e) {
        Map.Entry<Long, SnapshotRecord> seenBy = vol.snapshots().ceilingEntry(birth);
        return seenBy != null && seenBy.getKey() < e;
    }

    /**
     * Sub-cluster copy-on-write: the first partial write to a cluster shared with a snapshot writes
     * only the 4 KiB blocks it touches (edges merged with the shared cluster's bytes, checked) into
     * fresh cluster {@code a}, and maps an overlay whose other blocks are read from the shared cluster.
     */
    private long overlayRedirect(MapPage page, int i, long cluster, long v, long birth, long e, int within, int length, ByteBuffer src,
                                 ClusterAllocator.Allocation a) {
        int[] crcs = freshCrcs();
        System.arraycopy(page.crcs, i * blocks, crcs, 0, blocks);   // the blocks not written keep the shared cluster's CRCs
        boolean fromOverlay = MappingValue.isOverlay(v);
        long shared = MappingValue.phys(v);
        long base = fromOverlay ? page.bases[i] : shared;   // an overlay's successor reads from the same complete cluster
        int first = within >>> BlockChecksums.SHIFT;
        int last = (within + length - 1) >>> BlockChecksums.SHIFT;
        long[] mask = new long[page.maskWords];
        if (fromOverlay) {
            System.arraycopy(page.masks, i * page.maskWords, mask, 0, page.maskWords);
        }
        try {
            writeBlocks(page, i, cluster, a.phys(), first, last, within, length, src,
                    b -> fromOverlay && page.ownBlock(i, b) ? shared : base, crcs);
            if (fromOverlay) {
                copyOwnBlocks(page, i, cluster, shared, a.phys(), first, last);
            }
        } catch (RuntimeException ex) {
            pipeline.stage(new MetaBatch(), a.phys());   // never mapped: give it back after the next commit
            throw ex;
        }
        for (int b = first; b <= last; b++) {
            mask[b >>> 6] |= 1L << b;
        }
        MetaBatch change = new MetaBatch();
        retire(cluster, v, birth, e, change);   // seen by a snapshot: on the deadlist, nothing freed
        long nv = MappingValue.overlay(MappingValue.checksummed(MappingValue.data(a.phys(), true)), true);
        change.put(Keys.mapping(vol.id(), cluster, e), MappingValue.encodeOverlay(nv, base, mask, 0, crcs, 0, blocks));
        System.arraycopy(crcs, 0, page.crcs, i * blocks, blocks);
        System.arraycopy(mask, 0, page.masks, i * page.maskWords, page.maskWords);
        page.bases[i] = base;
        long seq = ctx.openPages.stageFresh(page, i, change, -1);
        page.values[i] = nv;
        page.births[i] = e;
        return seq;
    }

    /**
     * Copy-on-write of a shared overlay: the blocks it owns outside blocks {@code first..last} (which
     * the write fills) are copied, checked, into the new cluster, a stretch of consecutive own blocks
     * per call; the blocks it reads from its base stay there.
     */
    private void copyOwnBlocks(MapPage page, int i, long cluster, long from, long to, int first, int last) {
        ByteBuffer image = ctx.clusterBuffers.acquire();
        try {
            for (int b = 0; b < blocks; ) {
                if ((b >= first && b <= last) || !page.ownBlock(i, b)) {
                    b++;
                    continue;
                }
                int start = b;
                while (b < blocks && !(b >= first && b <= last) && page.ownBlock(i, b)) {
                    b++;
                }
                int at = start << BlockChecksums.SHIFT;
                int n = (b - start) << BlockChecksums.SHIFT;
                image.clear().limit(n);
                ctx.readPhysical(from, at, n, image);
                for (int k = start; k < b; k++) {
                    if (BlockChecksums.crc(image, (k - start) << BlockChecksums.SHIFT, BlockChecksums.BLOCK) != page.crcs[i * blocks + k]) {
                        throw damaged(cluster, from, k << BlockChecksums.SHIFT);
                    }
                }
                image.flip();
                ctx.writePhysical(to, at, n, image);
            }
        } finally {
            ctx.clusterBuffers.release(image);
        }
    }

    /**
     * An overwrite of the head's own overlay. Blocks it already owns are overwritten in place as
     * usual; blocks it still reads from its base become its own, which changes its mapping (staged);
     * once every block is its own, it stops being an overlay (its base stays with the snapshot's entry).
     */
    private long overwriteOverlay(MapPage page, int i, long cluster, long v, int within, int length, ByteBuffer src) {
        int first = within >>> BlockChecksums.SHIFT;
        int last = (within + length - 1) >>> BlockChecksums.SHIFT;
        boolean inherits = false;
        for (int b = first; b <= last && !inherits; b++) {
            inherits = !page.ownBlock(i, b);
        }
        if (!inherits) {
            overwriteInPlace(page, i, cluster, v, within, length, src);
            return 0;
        }
        int[] crcs = freshCrcs();
        System.arraycopy(page.crcs, i * blocks, crcs, 0, blocks);
        long phys = MappingValue.phys(v);
        long base = page.bases[i];
        ctx.openPages.enter(page, i);   // blocks it owns among them are overwritten in place
        try {
            writeBlocks(page, i, cluster, phys, first, last, within, length, src, b -> page.ownBlock(i, b) ? phys : base, crcs);
            System.arraycopy(crcs, first, page.crcs, i * blocks + first, last - first + 1);
            boolean complete = true;
            for (int b = 0; b < blocks; b++) {
                if (b >= first && b <= last) {
                    page.masks[i * page.maskWords + (b >>> 6)] |= 1L << b;
                }
                complete &= page.ownBlock(i, b);
            }
            if (complete) {
                page.values[i] = MappingValue.overlay(v, false);   // every block its own: the base is the snapshot's alone
            }
            MetaBatch change = new MetaBatch().put(Keys.mapping(vol.id(), cluster, page.births[i]), page.encode(i));
            long seq = pipeline.stage(change, -1);
            ctx.damage.cleared(ctx.position(phys, within), ctx.position(phys, within) + length);
            return seq;
        } finally {
            ctx.openPages.exit(page, i);
        }
    }

    /**
     * Writes blocks {@code first..last} of a cluster into physical cluster {@code target}: the write's
     * bytes, and around them at the edges the block's current bytes read (and checked against
     * {@code crcs}) from the cluster {@code sourceOf} names; the blocks' new CRCs go into {@code crcs}.
     * {@code src} advances by {@code length}.
     */
    private void writeBlocks(MapPage page, int i, long cluster, long target, int first, int last, int within, int length,
                             ByteBuffer src, java.util.function.IntToLongFunction sourceOf, int[] crcs) {
        int alignedStart = first << BlockChecksums.SHIFT;
        int span = (last - first + 1) << BlockChecksums.SHIFT;
        ByteBuffer image = ctx.clusterBuffers.acquire();
        try {
            image.clear();
            for (int b : new int[] {first, last}) {
                int bStart = b << BlockChecksums.SHIFT;
                boolean partial = within > bStart || within + length < bStart + BlockChecksums.BLOCK;
                if (partial) {
                    image.clear().position(bStart - alignedStart).limit(bStart - alignedStart + BlockChecksums.BLOCK);
                    long from = sourceOf.applyAsLong(b);
                    ctx.readPhysical(from, bStart, BlockChecksums.BLOCK, image);
                    if (BlockChecksums.crc(image, bStart - alignedStart, BlockChecksums.BLOCK) != crcs[b]) {
                        throw damaged(cluster, from, bStart);
                    }
                }
            }
            image.clear();
            image.put(within - alignedStart, src, src.position(), length);
            src.position(src.position() + length);
            for (int b = first; b <= last; b++) {
                crcs[b] = BlockChecksums.crc(image, (b - first) << BlockChecksums.SHIFT, BlockChecksums.BLOCK);
            }
            image.position(0).limit(span);
            ctx.writePhysical(target, alignedStart, span, image);
        } finally {
            ctx.clusterBuffers.release(image);
        }
    }

    /**
     * Maps a cluster to the fresh cluster {@code phys} its new data was just written to, born at
     * {@code e}, and stages the retirement of the mapping {@code v} it replaces (under the stripe lock).
     */
    private long publish(MapPage page, int i, long cluster, long v, long birth, long e, long phys, int[] crcs, int from) {
        MetaBatch change = new MetaBatch();
        long freed = retire(cluster, v, birth, e, change);
        boolean retained = freed == RETAINED;
        boolean shadows = vol.hasOrigin() || retained || MappingValue.shadows(v);
        long nv = MappingValue.checksummed(MappingValue.data(phys, shadows));
        change.put(Keys.mapping(vol.id(), cluster, e), MappingValue.encode(nv, crcs, from, blocks));
        System.arraycopy(crcs, from, page.crcs, i * blocks, blocks);
        long seq = ctx.openPages.stageFresh(page, i, change, freed);
        if (!MappingValue.isData(v)) {
            vol.headClusterAdded();
        }
        page.values[i] = nv;
        page.births[i] = e;
        return seq;
    }

    /** {@link #retire} result: the old mapping stays for a snapshot (nothing freed). */
    private static final long RETAINED = -2;

    /**
     * Adds to {@code change} the retirement of the head's current mapping of a cluster, about to be
     * replaced by an entry born at {@code e}. If a snapshot still sees it, it goes on the deadlist
     * (keyed by the epoch it died in) and {@link #RETAINED} is returned; otherwise it is deleted and
     * the cluster to free is returned (-1 if it held no data). The caller stages {@code change}
     * together with the replacement, as one unit.
     */
    private long retire(long cluster, long v, long birth, long e, MetaBatch change) {
        if (MappingValue.isNone(v)) {
            return -1;
        }
        if (birth != e) {
            Map.Entry<Long, SnapshotRecord> seenBy = vol.snapshots().ceilingEntry(birth);
            if (seenBy != null && seenBy.getKey() < e) {
                change.put(Keys.dead(vol.id(), e, cluster, birth), MappingValue.encode(v));
                return RETAINED;
            }
            change.delete(Keys.mapping(vol.id(), cluster, birth));
        }
        return MappingValue.isData(v) ? MappingValue.phys(v) : -1;
    }

    private void unmapCluster(long cluster) {
        vol.changeSlot(cluster, (page, i) -> {
            long v = page.values[i];
            long birth = page.births[i];
            long e = vol.epoch();
            if (MappingValue.isHole(v) || (MappingValue.isNone(v) && !vol.hasOrigin())) {
                return 0;   // already reads as zeros
            }
            MetaBatch change = new MetaBatch();
            long freed = retire(cluster, v, birth, e, change);
            if (vol.hasOrigin() || freed == RETAINED || MappingValue.shadows(v)) {
                change.put(Keys.mapping(vol.id(), cluster, e), MappingValue.encode(MappingValue.hole()));
                page.values[i] = MappingValue.hole();
                page.births[i] = e;
            } else {
                if (birth == e) {
                    change.delete(Keys.mapping(vol.id(), cluster, e));
                }
                page.values[i] = MappingValue.NONE;
                page.births[i] = 0;
            }
            if (MappingValue.isData(v)) {
                vol.headClusterRemoved();
            }
            return pipeline.stage(change, freed == RETAINED ? -1 : freed);
        });
    }

    private void zeroPartial(long cluster, int within, int length) {
        ReentrantLock lock = ctx.stripe(vol.id(), cluster);
        lock.lock();
        try {
            long v = cache.page(vol.pages(), cluster).values[(int) (cluster & (MapPage.SIZE - 1))];
            if (MappingValue.isData(v) || (MappingValue.isNone(v) && vol.hasOrigin())) {
                writeCluster(cluster, within, length, PoolContext.zeros(length), null);
            }
        } finally {
            lock.unlock();
        }
    }
}
