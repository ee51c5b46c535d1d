package io.depot.engine.core;

import io.depot.engine.store.MetadataStore;
import io.depot.engine.StorageIoException;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * Pages of head mappings for every volume of a pool, and of the mappings its live snapshots see,
 * bounded by one page budget and evicted with a clock sweep (a page touched since the last sweep
 * gets a second chance).
 *
 * <p>A snapshot's pages never change while the snapshot lives (the mappings born at or before its
 * epoch stay in the store until it is deleted), so they are filled lazily and never pinned. Whoever
 * changes what a snapshot sees (delete, rollback, the end of a flatten) stops using its directory:
 * an abandoned directory's pages are no longer looked up and leave with the clock like any cold page.
 *
 * <p>Each volume has a two-level directory of pages: chunks of {@value #CHUNK} pages made on demand,
 * so a lookup allocates nothing and a 64 TiB volume costs nothing until it is touched.
 */
final class MappingCache {
    static final int CHUNK = 4096;

    private final MetadataStore meta;
    private final CommitPipeline pipeline;
    private final long maxPages;
    private final AtomicLong loaded = new AtomicLong();
    private final ConcurrentLinkedQueue<MapPage> clock = new ConcurrentLinkedQueue<>();
    private final ReentrantLock sweepLock = new ReentrantLock();
    private final AtomicLong loads = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    /** Snapshot lookups that went to the store because the snapshot has no directory (not live); diagnostics only. */
    private final java.util.concurrent.atomic.LongAdder storeLookups = new java.util.concurrent.atomic.LongAdder();
    private final ConcurrentHashMap<Long, Directory> directories = new ConcurrentHashMap<>();

    private final Runnable commitRequest;
    /** 4 KiB blocks per cluster: CRCs per slot. */
    private final int blocks;

    /** @param commitRequest asks for a commit, without waiting, when staged changes keep pages from eviction */
    MappingCache(MetadataStore meta, CommitPipeline pipeline, long maxPages, int blocksPerCluster, Runnable commitRequest) {
        this.blocks = blocksPerCluster;
        this.meta = meta;
        this.pipeline = pipeline;
        this.maxPages = Math.max(64, maxPages);
        this.commitRequest = commitRequest;
    }

    /** A volume's page directory: of its head ({@link #HEAD}), or of the snapshot that froze {@code atEpoch}. */
    static final class Directory {
        static final long HEAD = Long.MAX_VALUE;

        final long volume;
        final long atEpoch;
        private final AtomicReferenceArray<AtomicReferenceArray<MapPage>> chunks;

        Directory(long volume, long maxClusters, long atEpoch) {
            this.volume = volume;
            this.atEpoch = atEpoch;
            long pages = (maxClusters + MapPage.SIZE - 1) >>> MapPage.SHIFT;
            this.chunks = new AtomicReferenceArray<>((int) Math.max(1, (pages + CHUNK - 1) / CHUNK));
        }
    }

    /** The page holding {@code cluster}, loaded from the store if it is not cached. */
    MapPage page(Directory dir, long cluster) {
        long pageIndex = cluster >>> MapPage.SHIFT;
        int chunkIndex = (int) (pageIndex / CHUNK);
        int slot = (int) (pageIndex % CHUNK);
        AtomicReferenceArray<MapPage> chunk = dir.chunks.get(chunkIndex);
        if (chunk == null) {
            dir.chunks.compareAndSet(chunkIndex, null, new AtomicReferenceArray<>(CHUNK));
            chunk = dir.chunks.get(chunkIndex);
        }
        MapPage page = chunk.get(slot);
        if (page != null) {
            if (!page.referenced) {
                page.referenced = true;
            }
            return page;
        }
        MapPage fresh = load(dir, pageIndex);
        if (chunk.compareAndSet(slot, null, fresh)) {
            clock.add(fresh);
            if (loaded.incrementAndGet() > maxPages) {
                sweep(fresh);
            }
            return fresh;
        }
        return chunk.get(slot);
    }

    /** The page holding {@code cluster} if it is cached, else null (never reads the store). */
    MapPage cachedPage(Directory dir, long cluster) {
        long pageIndex = cluster >>> MapPage.SHIFT;
        AtomicReferenceArray<MapPage> chunk = dir.chunks.get((int) (pageIndex / CHUNK));
        MapPage page = chunk == null ? null : chunk.get((int) (pageIndex % CHUNK));
        if (page != null && !page.referenced) {
            page.referenced = true;
        }
        return page;
    }

    /**
     * The page holding {@code cluster}, pinned for a change. The caller must {@link MapPage#unpin}
     * it with the sequence number of the commit that carries the change.
     */
    MapPage pinnedPage(Directory dir, long cluster) {
        while (true) {
            MapPage page = page(dir, cluster);
            if (page.pin()) {
                return page;
            }
            // evicted between lookup and pin: drop the stale reference and load again
            forget(dir, page);
        }
    }

    private void forget(Directory dir, MapPage page) {
        AtomicReferenceArray<MapPage> chunk = dir.chunks.get((int) (page.index / CHUNK));
        if (chunk != null) {
            chunk.compareAndSet((int) (page.index % CHUNK), page, null);
        }
    }

    private MapPage load(Directory dir, long pageIndex) {
        loads.incrementAndGet();
        MapPage page = new MapPage(dir, pageIndex, blocks);
        long first = pageIndex << MapPage.SHIFT;
        meta.scan(Keys.prefix(Keys.MAPPING, dir.volume, first), Keys.prefix(Keys.MAPPING, dir.volume, first + MapPage.SIZE), (k, v) -> {
            long birth = Keys.field(k, 2);
            if (birth <= dir.atEpoch) {
                int i = (int) (Keys.field(k, 1) - first);
                long value = MappingValue.decode(v);   // keys ascend by birth: the last one seen wins
                page.load(i, value, v);
                page.births[i] = birth;
                if (MappingValue.hasChecksums(value) && !MappingValue.decodeCrcs(v, page.crcs, i * blocks, blocks)) {
                    throw new StorageIoException("mapping of volume " + dir.volume + " cluster " + (first + i)
                            + " is marked checksummed but its value holds no checksums (" + v.length + " bytes)");
                }
            }
            return true;
        });
        return page;
    }

    /** Drops every page of a volume (after a rollback or a delete rewrote its mappings in the store). */
    void dropVolume(Directory dir) {
        for (int c = 0; c < dir.chunks.length(); c++) {
            AtomicReferenceArray<MapPage> chunk = dir.chunks.getAndSet(c, null);
            if (chunk == null) {
                continue;
            }
            for (int s = 0; s < CHUNK; s++) {
                if (chunk.get(s) != null) {
                    loaded.decrementAndGet();
                }
            }
        }
        clock.removeIf(p -> p.dir == dir);
    }

    /**
     * One pass of the clock over the cached pages, evicting clean pages not touched since the last
     * pass, until the cache is back under budget. The page just loaded ({@code keep}) is spared, and a
     * page is only evicted on a pass after the one that cleared its reference bit, so a caller always
     * gets to use the page it loaded. Pages with staged changes cannot go until their commit is
     * durable: if they fill the cache, the budget is exceeded for a while and a commit is requested.
     */
    private void sweep(MapPage keep) {
        if (!sweepLock.tryLock()) {
            return;
        }
        try {
            long durable = pipeline.durableSeq();
            int visits = clock.size();
            int blockedByStagedChanges = 0;
            Iterator<MapPage> it = clock.iterator();
            while (loaded.get() > maxPages * 9 / 10 && visits-- > 0 && it.hasNext()) {
                MapPage p = it.next();
                if (p == keep) {
                    continue;
                }
                if (p.referenced) {
                    p.referenced = false;
                } else if (openPages != null ? openPages.tryEvict(p, durable) : p.tryEvict(durable)) {
                    it.remove();
                    loaded.decrementAndGet();
                    evictions.incrementAndGet();
                    evicted(p);
                } else {
                    blockedByStagedChanges++;
                }
            }
            if (loaded.get() > maxPages && blockedByStagedChanges > 0) {
                commitRequest.run();
            }
        } finally {
            sweepLock.unlock();
        }
    }

    /** Calls {@code consumer} with every cached head mapping in clusters [from, to) that is not NONE. */
    void forEachCachedMapping(Directory dir, long from, long to, LongConsumer consumer) {
        for (long pageIndex = from >>> MapPage.SHIFT; pageIndex <= (to - 1) >>> MapPage.SHIFT; ) {
            AtomicReferenceArray<MapPage> chunk = dir.chunks.get((int) (pageIndex / CHUNK));
            if (chunk == null) {
                pageIndex = (pageIndex / CHUNK + 1) * CHUNK;   // skip a whole untouched chunk
                continue;
            }
            MapPage page = chunk.get((int) (pageIndex % CHUNK));
            if (page != null) {
                long first = pageIndex << MapPage.SHIFT;
                for (int i = (int) Math.max(0, from - first); i < MapPage.SIZE && first + i < to; i++) {
                    if (page.values[i] != MappingValue.NONE) {
                        consumer.accept(first + i);
                    }
                }
            }
            pageIndex++;
        }
    }

    Directory directory(long volume, long maxClusters) {
        return directories.computeIfAbsent(volume, v -> new Directory(v, maxClusters, Directory.HEAD));
    }

    /** A new directory for the snapshot of {@code volume} that froze {@code atEpoch}; its owner keeps it. */
    Directory snapshotDirectory(long volume, long maxClusters, long atEpoch) {
        return new Directory(volume, maxClusters, atEpoch);
    }

    void removeDirectory(long volume) {
        Directory d = directories.remove(volume);
        if (d != null) {
            dropVolume(d);
        }
    }

    private void evicted(MapPage p) {
        forget(p.dir, p);
    }

    private OpenPages openPages;

    /** Who evicts pages that may be open (set once when the pool's context is built). */
    void onEviction(OpenPages openPages) { this.openPages = openPages; }

    long loadedPages() { return loaded.get(); }

    long pageLoads() { return loads.get(); }

    long evictions() { return evictions.get(); }

    void countStoreLookup() { storeLookups.increment(); }

    long storeLookups() { return storeLookups.sum(); }
}
