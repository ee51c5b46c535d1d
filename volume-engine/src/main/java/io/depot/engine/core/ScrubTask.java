package io.depot.engine.core;

import io.depot.engine.DamagedBlock;
import io.depot.engine.ScrubFinding;
import io.depot.engine.ScrubReference;
import io.depot.engine.ScrubStatus.Mode;
import io.depot.engine.store.MetaBatch;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One walk of a scrub over the {@code M} key space in key order, from where {@link ScrubProgress}
 * says it stopped: every data mapping is the one owner of its physical cluster, so reading each once
 * reads every allocated cluster once, however many snapshots and clones share it.
 *
 * <p>Each batch of entries is read under a reader pin, so a cluster freed and reused meanwhile stays
 * out of the allocator until the batch is done and is never mistaken for damage. Every entry is read
 * under its cluster's stripe lock: the head may be overwriting it in place, and its newest CRCs are
 * then in the cached page, not in the store.
 *
 * <p>In {@link Mode#UPGRADE} an entry without CRCs (format 1) gets them, computed from its data: the
 * head's entries through its page (under the stripe lock, pinned until durable, as any change of a
 * slot), the older ones that only snapshots see in one staged batch after a commit has shown they are
 * still kept. The admin lock is held for an upgrade batch so no snapshot deletion, rollback or volume
 * deletion can remove an entry between that check and the staged put. Each entry is converted on its
 * own: a crash leaves each one with CRCs or without, and the next upgrade finishes the rest.
 */
final class ScrubTask {
    private static final Logger log = LoggerFactory.getLogger(ScrubTask.class);
    private static final int BATCH = 64;
    private static final int BLOCK = BlockChecksums.BLOCK;

    private final PoolContext ctx;
    private final Volumes volumes;
    private final ScrubProgress progress;
    private final BooleanSupplier stop;
    private final Runnable save;
    private final ScrubReferences references;
    private final ByteBuffer data;
    private final BlockLayout layout;
    private final int[] computed;

    /** An {@code M} entry as the walk read it from the store. */
    private record Entry(byte[] key, byte[] stored, long volume, long cluster, long birth, long value) {}

    /** An upgrade of an entry only snapshots see, staged after the commit that shows it is still kept. */
    private record Pending(Entry entry, int[] crcs) {}

    ScrubTask(PoolContext ctx, Volumes volumes, ScrubProgress progress, BooleanSupplier stop, Runnable save) {
        this.ctx = ctx;
        this.volumes = volumes;
        this.progress = progress;
        this.stop = stop;
        this.save = save;
        this.references = new ScrubReferences(ctx, volumes);
        this.data = ByteBuffer.allocateDirect(ctx.clusterSize);
        this.layout = new BlockLayout(ctx.blocksPerCluster);
        this.computed = new int[ctx.blocksPerCluster];
    }

    /** Walks on until the key space ends (true) or {@code stop} says so (false). */
    boolean run() {
        Throttle throttle = new Throttle(progress.bandwidth);
        // a batch holds a reader pin (and for an upgrade the admin lock): at most ~50 ms of the cap's reads
        int batchSize = progress.bandwidth <= 0 ? BATCH
                : (int) Math.max(1, Math.min(BATCH, progress.bandwidth / 20 / ctx.clusterSize));
        byte[] end = Keys.prefixEnd(Keys.MAPPING);
        long lastSave = System.nanoTime();
        while (!stop.getAsBoolean()) {
            byte[] from;
            synchronized (progress) {
                from = progress.lastKey == null ? Keys.prefix(Keys.MAPPING) : successor(progress.lastKey);
            }
            List<Entry> batch = new ArrayList<>(batchSize);
            long bytes;
            long pin = ctx.pins.pin();
            try {
                ctx.meta.scan(from, end, (k, v) -> {
                    batch.add(new Entry(k, v, Keys.field(k, 0), Keys.field(k, 1), Keys.field(k, 2), MappingValue.decode(v)));
                    return batch.size() < batchSize;
                });
                if (batch.isEmpty()) {
                    return true;
                }
                bytes = progress.mode == Mode.UPGRADE ? upgradeBatch(batch) : scrubBatch(batch);
            } finally {
                ctx.pins.unpin(pin);
            }
            synchronized (progress) {
                progress.lastKey = batch.get(batch.size() - 1).key();
            }
            if (System.nanoTime() - lastSave > 1_000_000_000L) {
                save.run();
                lastSave = System.nanoTime();
            }
            throttle.pace(bytes, stop);
        }
        return false;
    }

    /** The smallest key after {@code key}. */
    private static byte[] successor(byte[] key) { return Arrays.copyOf(key, key.length + 1); }

    private long scrubBatch(List<Entry> batch) {
        long bytes = 0;
        for (Entry e : batch) {
            VolumeState vs = liveDataOwner(e);
            if (vs != null) {
                bytes += verify(vs, e);
            }
        }
        return bytes;
    }

    private long upgradeBatch(List<Entry> batch) {
        long bytes = 0;
        List<Pending> older = new ArrayList<>();
        ctx.lockAdmin();
        try {
            for (Entry e : batch) {
                VolumeState vs = liveDataOwner(e);
                if (vs == null) {
                    continue;
                }
                if (MappingValue.hasChecksums(e.value())) {
                    bytes += verify(vs, e);
                } else {
                    bytes += upgrade(vs, e, older);
                }
            }
            stageOlder(older);
        } finally {
            ctx.unlockAdmin();
        }
        return bytes;
    }

    /** The volume of a data entry, or null for a hole or an entry of a deleted volume (skipped). */
    private VolumeState liveDataOwner(Entry e) {
        if (!MappingValue.isData(e.value())) {
            return null;
        }
        VolumeState vs = volumes.byId(e.volume());
        return vs == null || vs.isDeleted() ? null : vs;
    }

    // ---------------------------------------------------------------- verifying

    /** Reads and verifies one entry's blocks; returns the bytes read. */
    private long verify(VolumeState vs, Entry e) {
        if (!MappingValue.hasChecksums(e.value())) {
            synchronized (progress) {
                progress.clustersUnverified++;
            }
            return 0;
        }
        long phys = MappingValue.phys(e.value());
        int slot = (int) (e.cluster() & (MapPage.SIZE - 1));
        boolean head;
        List<Integer> bad = new ArrayList<>();
        ReentrantLock lock = ctx.stripe(vs.id(), e.cluster());
        lock.lock();
        try {
            MapPage page = ctx.cache.cachedPage(vs.pages(), e.cluster());
            head = page != null && MappingValue.isData(page.values[slot]) && MappingValue.phys(page.values[slot]) == phys;
            if (head) {
                layoutOf(page.values[slot], null, page, slot, layout);
            } else {
                layoutOf(e.value(), e.stored(), null, 0, layout);
            }
            read(layout);
            for (int b = 0; b < layout.blocks; b++) {
                if (layout.known[b] && BlockChecksums.crc(data, b * BLOCK, BLOCK) != layout.crc[b]) {
                    bad.add(b);
                }
            }
        } finally {
            lock.unlock();
        }
        long bytes = (long) layout.count() * BLOCK;
        synchronized (progress) {
            progress.clustersChecked++;
            progress.bytesChecked += bytes;
        }
        if (!bad.isEmpty()) {
            damaged(vs, e, bad);
        }
        return bytes;
    }

    /** Records the damaged blocks {@code bad} of an entry, grouped in extents, with everything that reads them. */
    private void damaged(VolumeState vs, Entry e, List<Integer> bad) {
        boolean head = references.headMaps(vs, e.cluster(), MappingValue.phys(e.value()));
        if (!head && !stillKept(e)) {
            return;   // retired and freed meanwhile: nothing reads it any more
        }
        long clusterOffset = e.cluster() << ctx.clusterShift;
        for (int i = 0; i < bad.size(); ) {
            int first = bad.get(i);
            int last = first;
            while (i + 1 < bad.size() && bad.get(i + 1) == last + 1 && layout.position[last + 1] == layout.position[last] + BLOCK) {
                last = bad.get(++i);
            }
            i++;
            long offset = clusterOffset + (long) first * BLOCK;
            List<ScrubReference> refs = references.of(vs, e.cluster(), e.birth(), head, offset);
            ScrubFinding finding = new ScrubFinding(layout.position[first], (long) (last - first + 1) * BLOCK, refs);
            for (int b = first; b <= last; b++) {
                ScrubReference where = refs.isEmpty() ? new ScrubReference(vs.name(), vs.uuid(), vs.owner(), null, offset) : refs.get(0);
                ctx.damage.found(new DamagedBlock(layout.position[b], where.volume(), where.volumeUuid(), where.snapshot(),
                        where.offset() + (long) (b - first) * BLOCK, Instant.now(), "scrub"));
            }
            progress.finding(finding, last - first + 1);
            log.warn("scrub: damaged extent of {} bytes at data file offset {}, read by {}", finding.length(), finding.physicalOffset(), refs);
        }
    }

    /** True if an entry that is not the head's is still in the store once every change staged before is committed. */
    private boolean stillKept(Entry e) {
        ctx.pipeline.flush();
        byte[] now = ctx.meta.get(e.key());
        return now != null && MappingValue.isData(MappingValue.decode(now)) && MappingValue.phys(MappingValue.decode(now)) == MappingValue.phys(e.value());
    }

    // ---------------------------------------------------------------- upgrading

    /** Gives a format-1 entry its CRCs (the head's at once, an older one into {@code older}); returns the bytes read. */
    private long upgrade(VolumeState vs, Entry e, List<Pending> older) {
        long phys = MappingValue.phys(e.value());
        boolean[] wasHead = {false};
        vs.changeSlot(e.cluster(), (page, slot) -> {
            long v = page.values[slot];
            if (!MappingValue.isData(v) || MappingValue.phys(v) != phys) {
                return 0;   // not (or no longer) the head's: only snapshots may still see it
            }
            wasHead[0] = true;
            if (MappingValue.hasChecksums(v)) {
                return 0;   // given CRCs meanwhile (a rewrite of the whole cluster is a fresh mapping; nothing to do)
            }
            computeCrcs(v);
            long nv = MappingValue.checksummed(v);
            int n = ctx.blocksPerCluster;
            System.arraycopy(computed, 0, page.crcs, slot * n, n);
            page.values[slot] = nv;
            return ctx.pipeline.stage(new MetaBatch().put(Keys.mapping(vs.id(), e.cluster(), page.births[slot]),
                    MappingValue.encode(nv, computed, 0, n)), -1);
        });
        if (wasHead[0]) {
            upgraded();
            return ctx.clusterSize;
        }
        computeCrcs(e.value());   // immutable now: only the head overwrites in place
        older.add(new Pending(e, computed.clone()));
        return ctx.clusterSize;
    }

    /**
     * Stages the CRCs of entries only snapshots see. The commit first makes every retirement staged
     * before their head check durable: an entry still in the store after it is kept (on a deadlist),
     * and only administrative changes, excluded by the admin lock, could remove it now.
     */
    private void stageOlder(List<Pending> older) {
        if (older.isEmpty()) {
            return;
        }
        ctx.pipeline.flush();
        MetaBatch batch = new MetaBatch();
        int n = ctx.blocksPerCluster;
        int count = 0;
        Map<List<Long>, byte[]> deadKeys = deadKeys(older);
        for (Pending p : older) {
            Entry e = p.entry();
            byte[] now = ctx.meta.get(e.key());
            if (now != null && MappingValue.decode(now) == e.value()) {
                long nv = MappingValue.checksummed(e.value());
                batch.put(e.key(), MappingValue.encode(nv, p.crcs(), 0, n));
                byte[] dead = deadKeys.get(List.of(e.volume(), e.cluster(), e.birth()));
                if (dead != null) {
                    batch.put(dead, MappingValue.encode(nv));   // the deadlist's copy of the value says checksummed too
                }
                count++;
            }
        }
        ctx.pipeline.stage(batch, -1);
        ctx.pipeline.flush();
        // the snapshots' cached pages still hold the values without CRCs: drop them so reads verify at once
        java.util.Set<VolumeState> touched = new java.util.HashSet<>();
        for (Pending p : older) {
            VolumeState vs = liveDataOwner(p.entry());
            if (vs != null && touched.add(vs)) {
                vs.viewsChanged();
            }
        }
        for (int i = 0; i < count; i++) {
            upgraded();
        }
    }

    /** The deadlist keys of the entries in {@code older}: one scan per volume, from the oldest birth on. */
    private Map<List<Long>, byte[]> deadKeys(List<Pending> older) {
        Map<List<Long>, byte[]> out = new HashMap<>();
        Map<Long, Set<List<Long>>> wanted = new HashMap<>();
        Map<Long, Long> oldest = new HashMap<>();
        for (Pending p : older) {
            Entry e = p.entry();
            wanted.computeIfAbsent(e.volume(), v -> new HashSet<>()).add(List.of(e.volume(), e.cluster(), e.birth()));
            oldest.merge(e.volume(), e.birth(), Math::min);
        }
        for (Map.Entry<Long, Set<List<Long>>> w : wanted.entrySet()) {
            long vol = w.getKey();
            Set<List<Long>> left = w.getValue();
            ctx.meta.scan(Keys.prefix(Keys.DEAD, vol, oldest.get(vol) + 1), Keys.prefixEnd(Keys.DEAD, vol), (k, v) -> {
                List<Long> id = List.of(vol, Keys.field(k, 2), Keys.field(k, 3));
                if (left.remove(id)) {
                    out.put(id, k);
                }
                return !left.isEmpty();
            });
        }
        return out;
    }

    private void upgraded() {
        ctx.damage.unverifiedClusterGone();
        synchronized (progress) {
            progress.clustersUpgraded++;
            progress.bytesChecked += ctx.clusterSize;
        }
    }

    /** CRCs of the blocks of an entry's cluster, into {@link #computed}. */
    private void computeCrcs(long value) {
        layoutOf(value, null, null, 0, layout);
        read(layout);
        for (int b = 0; b < layout.blocks; b++) {
            computed[b] = BlockChecksums.crc(data, b * BLOCK, BLOCK);
        }
    }

    // ---------------------------------------------------------------- where an entry's blocks are

    /** Which data file positions hold an entry's blocks and what CRC each must match. */
    static final class BlockLayout {
        final int blocks;
        /** Data file position of block b, or -1 if this entry does not hold it (read elsewhere). */
        final long[] position;
        final int[] crc;
        final boolean[] known;

        BlockLayout(int blocks) {
            this.blocks = blocks;
            this.position = new long[blocks];
            this.crc = new int[blocks];
            this.known = new boolean[blocks];
        }

        int count() {
            int n = 0;
            for (long p : position) {
                n += p >= 0 ? 1 : 0;
            }
            return n;
        }
    }

    /**
     * THE place that says which blocks of a data entry live in which physical cluster and their
     * expected CRCs: from the head's cached {@code page} slot when given (its CRCs may be newer than
     * the store's), else from the stored value. An overlay entry (sub-cluster copy-on-write) holds
     * only its own blocks: those it reads from its base cluster get position -1 (the base is the
     * older entry of the same cluster, scrubbed on its own).
     */
    void layoutOf(long value, byte[] stored, MapPage page, int slot, BlockLayout out) {
        int n = out.blocks;
        long phys = MappingValue.phys(value);
        for (int b = 0; b < n; b++) {
            out.position[b] = ctx.position(phys, b * BLOCK);
        }
        boolean has = MappingValue.hasChecksums(value);
        if (has && page != null) {
            System.arraycopy(page.crcs, slot * n, out.crc, 0, n);
        } else if (has) {
            has = MappingValue.decodeCrcs(stored, out.crc, 0, n);
        }
        Arrays.fill(out.known, has);
        if (MappingValue.isOverlay(value)) {
            OverlaySlot overlay = page != null ? OverlaySlot.of(page, slot) : OverlaySlot.of(value, stored, n);
            for (int b = 0; b < n; b++) {
                if (!overlay.own(b)) {
                    out.position[b] = -1;
                    out.known[b] = false;
                }
            }
        }
    }

    /** Reads the blocks of {@code l} into {@link #data} (block b at b * 4 KiB), one read per contiguous run. */
    private void read(BlockLayout l) {
        for (int b = 0; b < l.blocks; ) {
            if (l.position[b] < 0) {
                b++;
                continue;
            }
            int first = b;
            while (b + 1 < l.blocks && l.position[b + 1] == l.position[b] + BLOCK) {
                b++;
            }
            b++;
            ByteBuffer dst = data.clear().position(first * BLOCK).limit(b * BLOCK);
            ctx.blocks.read(dst, l.position[first]);
        }
        data.clear();
    }

    /** Keeps the walk's reads under a bandwidth cap (bytes per second; 0: none). */
    static final class Throttle {
        private final long bytesPerSecond;
        private final long startNanos = System.nanoTime();
        private long bytes;

        Throttle(long bytesPerSecond) { this.bytesPerSecond = bytesPerSecond; }

        /** Counts {@code n} bytes read and waits until the average is back under the cap (or {@code stop}). */
        void pace(long n, BooleanSupplier stop) {
            bytes += n;
            if (bytesPerSecond <= 0) {
                return;
            }
            long dueNanos = startNanos + (long) (bytes * 1e9 / bytesPerSecond);
            long wait;
            while ((wait = dueNanos - System.nanoTime()) > 0 && !stop.getAsBoolean()) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(wait, 100_000_000L));
            }
        }
    }
}
