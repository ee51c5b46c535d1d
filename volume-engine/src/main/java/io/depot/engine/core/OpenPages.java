package io.depot.engine.core;

import io.depot.engine.store.MetaBatch;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps checksums honest across a crash for the one write that changes no metadata: the overwrite in
 * place of a cluster the head owns. Its new bytes may reach the disk before (or without) the CRCs the
 * next commit would store, so a crash could leave good data that no longer matches its stored CRCs.
 *
 * <p>Before a page of the head's mappings (1024 clusters) takes its first overwrite in place, an
 * <em>open</em> mark for it ({@code O vol page}) is made durable; while open, the page's CRCs live in
 * memory (the page is not evicted) and writes pay nothing more. A page left idle is <em>settled</em>: its
 * changed CRCs and the removal of its mark ride one commit, after the data's fdatasync. After a crash,
 * the clusters of pages still marked open get their CRCs recomputed from the data at open (as
 * dm-integrity's bitmap mode does): damage there from before the crash goes unseen, nothing else.
 *
 * <p>A cluster mapped fresh after its page's mark was staged needs no wait: the crash that loses the
 * mark loses its mapping too (commits are ordered). Lock order: stripe lock, then the page's monitor.
 */
final class OpenPages {
    private static final Logger log = LoggerFactory.getLogger(OpenPages.class);
    /** A page with no overwrite in place for this long is settled by the ticker. */
    static final long IDLE_NANOS = 2_000_000_000L;

    private final PoolContext ctx;
    private final Set<MapPage> open = ConcurrentHashMap.newKeySet();

    OpenPages(PoolContext ctx) { this.ctx = ctx; }

    int openCount() { return open.size(); }

    /**
     * Before overwriting slot {@code slot} of {@code page} in place (stripe lock held): returns once
     * the page is durably open, staging its mark and waiting for the commit if needed. Every call
     * must be followed by {@link #exit}.
     */
    void enter(MapPage page, int slot) {
        while (true) {
            long wait;
            synchronized (page) {
                if (mayWrite(page, slot)) {
                    page.inPlaceWriters++;
                    return;
                }
                wait = markOpen(page, null);
            }
            if (wait < 0) {
                throw new IllegalStateException("an evicted mapping page was entered for an overwrite (it must be pinned)");
            }
            if (ctx.pipeline.durableSeq() < wait) {
                ctx.pipeline.flush();
            }
        }
    }

    /** {@link #enter} only if it would not wait; false otherwise (nothing to undo). */
    boolean tryEnter(MapPage page, int slot) {
        synchronized (page) {
            if (mayWrite(page, slot)) {
                page.inPlaceWriters++;
                return true;
            }
            markOpen(page, null);   // so that the blocking retry finds it durable sooner
            return false;
        }
    }

    /** The overwrite of {@code slot} is written (or failed): its CRCs are newer than the store's. */
    void exit(MapPage page, int slot) {
        synchronized (page) {
            page.inPlaceWriters--;
            MapPage.set(page.dirty, slot);
            page.lastInPlaceWriteNanos = System.nanoTime();
        }
    }

    private boolean mayWrite(MapPage page, int slot) {
        return !page.isEvicted() && page.openSeq != 0 && (page.openSeq <= ctx.pipeline.durableSeq() || MapPage.bit(page.fresh, slot));
    }

    /**
     * Under the page's monitor: stages the open mark unless staged already (into {@code with} if
     * given, else on its own) and returns the commit that carries it.
     */
    private long markOpen(MapPage page, MetaBatch with) {
        if (page.isEvicted()) {
            return -1;
        }
        if (page.openSeq == 0) {
            MetaBatch mark = with != null ? with : new MetaBatch();
            mark.put(Keys.open(page.volume, page.index), new byte[0]);
            if (with == null) {
                page.openSeq = ctx.pipeline.stage(mark, -1);
                opened(page);
            }
        }
        return page.openSeq;
    }

    private void opened(MapPage page) {
        page.lastInPlaceWriteNanos = System.nanoTime();
        open.add(page);
    }

    /**
     * Stages a fresh checksummed mapping of {@code slot} (stripe lock held): {@code change} carries
     * the page's open mark too if it has none, and the slot may be overwritten in place at once.
     */
    long stageFresh(MapPage page, int slot, MetaBatch change, long freePhys) {
        synchronized (page) {
            boolean mark = page.openSeq == 0;
            if (mark) {
                markOpen(page, change);
            }
            long seq = ctx.pipeline.stage(change, freePhys);
            if (mark) {
                page.openSeq = seq;
                opened(page);
            }
            MapPage.set(page.fresh, slot);
            return seq;
        }
    }

    /**
     * Evicts {@code page} for the cache if it can go (see {@link MapPage#tryEvict}); a mark it still
     * holds is deleted in the same instant, under the page's monitor, so no reload of the page can
     * stage a new mark before this delete (which would then remove it).
     */
    boolean tryEvict(MapPage page, long durableSeq) {
        synchronized (page) {
            if (!page.tryEvict(durableSeq)) {
                return false;
            }
            if (page.openSeq != 0) {
                ctx.pipeline.stage(new MetaBatch().delete(Keys.open(page.volume, page.index)), -1);
                closed(page);
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- settling

    /** Settles every open page idle for {@link #IDLE_NANOS} (the commit ticker calls this). */
    void settleIdle() {
        long now = System.nanoTime();
        for (MapPage page : open) {
            boolean idle;
            synchronized (page) {
                idle = page.inPlaceWriters == 0 && now - page.lastInPlaceWriteNanos >= IDLE_NANOS;
            }
            if (idle) {
                settle(page);
            }
        }
    }

    /** Settles every open page (the pool is closing: its I/O has stopped). */
    void settleAll() {
        for (MapPage page : List.copyOf(open)) {
            settle(page);
        }
    }

    /**
     * Stores the page's changed CRCs and drops its mark in one staged unit, holding the stripes of
     * its changed slots so no unmap or copy-on-write can change them between reading and staging.
     * Gives up (to be retried) if an overwrite in place is under way.
     */
    private void settle(MapPage page) {
        int[] slots;
        synchronized (page) {
            if (page.openSeq == 0 || page.inPlaceWriters > 0) {
                return;
            }
            slots = setSlots(page.dirty);
        }
        ReentrantLock[] locks = stripesOf(page, slots);
        PoolContext.lockAll(locks);
        try {
            synchronized (page) {
                if (page.openSeq == 0 || page.inPlaceWriters > 0 || !java.util.Arrays.equals(slots, setSlots(page.dirty))) {
                    return;
                }
                MetaBatch batch = new MetaBatch();
                storeSlots(page, slots, batch);
                batch.delete(Keys.open(page.volume, page.index));
                ctx.pipeline.stage(batch, -1);
                closed(page);
            }
        } finally {
            PoolContext.unlockAll(locks);
        }
    }

    /**
     * Settles the open pages of a volume whose I/O is drained (a snapshot is about to freeze its
     * head, whose CRCs the snapshot's readers load from the store) into {@code batch}.
     */
    void settleVolume(long volume, MetaBatch batch) {
        for (MapPage page : open) {
            if (page.volume != volume) {
                continue;
            }
            synchronized (page) {
                if (page.openSeq == 0) {
                    continue;
                }
                storeSlots(page, setSlots(page.dirty), batch);
                batch.delete(Keys.open(page.volume, page.index));
                closed(page);
            }
        }
    }

    /**
     * Forgets the open pages of a volume whose head mappings were rewritten in the store (rollback)
     * or that is gone (delete): their CRCs in memory no longer matter; their marks are deleted in
     * {@code batch} by a range delete over the volume's marks.
     */
    void forgetVolume(long volume, MetaBatch batch) {
        for (MapPage page : open) {
            if (page.volume == volume) {
                synchronized (page) {
                    closed(page);
                }
            }
        }
        ctx.meta.scan(Keys.prefix(Keys.OPEN, volume), Keys.prefixEnd(Keys.OPEN, volume), (k, v) -> {
            batch.delete(k);
            return true;
        });
    }

    private void storeSlots(MapPage page, int[] slots, MetaBatch batch) {
        for (int slot : slots) {
            long v = page.values[slot];
            if (MappingValue.hasChecksums(v)) {
                long cluster = (page.index << MapPage.SHIFT) + slot;
                batch.put(Keys.mapping(page.volume, cluster, page.births[slot]), page.encode(slot));
            }
        }
    }

    private void closed(MapPage page) {
        page.openSeq = 0;
        java.util.Arrays.fill(page.dirty, 0);
        java.util.Arrays.fill(page.fresh, 0);
        open.remove(page);
    }

    private static int[] setSlots(long[] bits) {
        int count = 0;
        for (long w : bits) {
            count += Long.bitCount(w);
        }
        int[] out = new int[count];
        int k = 0;
        for (int i = 0; i < bits.length; i++) {
            for (long w = bits[i]; w != 0; w &= w - 1) {
                out[k++] = i * 64 + Long.numberOfTrailingZeros(w);
            }
        }
        return out;
    }

    private ReentrantLock[] stripesOf(MapPage page, int[] slots) {
        return ctx.stripesFor(page.volume, page.index << MapPage.SHIFT, slots);
    }

    // ---------------------------------------------------------------- after a crash

    /**
     * At open, before any I/O: pages still marked open lost their in-memory CRCs with the crash, so
     * the head's clusters there that could have been overwritten in place (born in the volume's
     * current epoch) get their CRCs recomputed from the data, and the marks go, in one commit.
     */
    void recover(Volumes volumes) {
        MetaBatch batch = new MetaBatch();
        long[] clusters = {0};
        java.util.List<byte[]> marks = new java.util.ArrayList<>();
        ctx.meta.scan(Keys.prefix(Keys.OPEN), Keys.prefixEnd(Keys.OPEN), (k, v) -> {
            marks.add(k);
            return true;
        });
        if (marks.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        int n = ctx.blocksPerCluster;
        int[] crcs = new int[n];
        java.nio.ByteBuffer image = ctx.clusterBuffers.acquire();
        try {
            for (byte[] mark : marks) {
                batch.delete(mark);
                VolumeState v = volumes.byId(Keys.field(mark, 0));
                if (v == null) {
                    continue;   // deleted: its reclaim removes the rest
                }
                long first = Keys.field(mark, 1) << MapPage.SHIFT;
                long epoch = v.epoch();
                ctx.meta.scan(Keys.prefix(Keys.MAPPING, v.id(), first), Keys.prefix(Keys.MAPPING, v.id(), first + MapPage.SIZE), (k, value) -> {
                    long m = MappingValue.decode(value);
                    if (Keys.field(k, 2) == epoch && MappingValue.hasChecksums(m)) {
                        image.clear();
                        ctx.readPhysical(MappingValue.phys(m), 0, ctx.clusterSize, image);
                        if (MappingValue.isOverlay(m)) {   // only its own blocks can have been overwritten in place
                            OverlaySlot o = OverlaySlot.of(m, value, n);
                            for (int b = 0; b < n; b++) {
                                if (o.own(b)) {
                                    o.crcs()[b] = BlockChecksums.crc(image, b << BlockChecksums.SHIFT, BlockChecksums.BLOCK);
                                }
                            }
                            batch.put(k, MappingValue.encodeOverlay(m, o.base(), o.mask(), 0, o.crcs(), 0, n));
                        } else {
                            BlockChecksums.crcs(image, 0, n, crcs, 0);
                            batch.put(k, MappingValue.encode(m, crcs, 0, n));
                        }
                        clusters[0]++;
                    }
                    return true;
                });
            }
        } finally {
            ctx.clusterBuffers.release(image);
        }
        ctx.pipeline.stage(batch, -1);
        ctx.pipeline.flush();
        log.warn("the pool was not closed cleanly: recomputed the checksums of {} cluster(s) in {} mapping page(s) open for "
                + "overwrites in place at the crash, in {} ms (damage there from before the crash cannot be told from data)",
                clusters[0], marks.size(), (System.nanoTime() - started) / 1_000_000);
    }
}
