package io.depot.engine.core;

import io.depot.engine.DamagedBlock;
import io.depot.engine.PoolIntegrity;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's list of damaged 4 KiB blocks (checksum mismatches), keyed by their place in the data
 * file: filled by reads and scrubs, emptied when a block is overwritten or its cluster freed. Kept in
 * the metadata store beside the catalog ({@code integrity/<physical offset>}), so a restart does not
 * forget damage; a change rides the next commit.
 *
 * <p>Clearing is on the write and free paths, so it costs one volatile read while nothing is damaged.
 */
final class DamageLedger implements PoolIntegrity {
    private static final Logger log = LoggerFactory.getLogger(DamageLedger.class);
    private static final String PREFIX = "integrity/";
    static final int BLOCK = DamagedBlock.SIZE;

    private final ConcurrentSkipListMap<Long, DamagedBlock> blocks = new ConcurrentSkipListMap<>();
    private final AtomicLong detections = new AtomicLong();
    private final AtomicLong unverified = new AtomicLong();
    private volatile boolean any;
    private CommitPipeline pipeline;

    /** Loads what the pool recorded; changes from now on ride {@code pipeline}'s commits. */
    void open(MetadataStore meta, CommitPipeline pipeline) {
        this.pipeline = pipeline;
        byte[] from = Keys.setting(PREFIX);
        byte[] to = Keys.setting(PREFIX.substring(0, PREFIX.length() - 1) + (char) ('/' + 1));
        meta.scan(from, to, (k, v) -> {
            DamagedBlock b = decode(v);
            if (b != null) {
                blocks.put(b.physicalOffset(), b);
            }
            return true;
        });
        any = !blocks.isEmpty();
        if (any) {
            log.warn("pool has {} damaged block(s) recorded before it closed; first: {}", blocks.size(), describe(blocks.firstEntry().getValue()));
        }
    }

    @Override
    public List<DamagedBlock> damage() {
        List<DamagedBlock> out = new ArrayList<>(blocks.values());
        out.sort(Comparator.comparing(DamagedBlock::detected));
        return out;
    }

    @Override
    public long detections() { return detections.get(); }

    @Override
    public long unverifiedClusters() { return unverified.get(); }

    void unverifiedClusters(long count) { unverified.set(count); }

    void unverifiedClusterGone() { unverified.decrementAndGet(); }

    /** A read or scrub found {@code block} damaged: counted always, logged and recorded the first time. */
    void found(DamagedBlock block) {
        detections.incrementAndGet();
        if (blocks.putIfAbsent(block.physicalOffset(), block) != null) {
            return;
        }
        any = true;
        log.error("DATA DAMAGED: {}; the block is refused to readers until it is overwritten, unmapped or deleted "
                + "(restore it from a backup or a replica; run a scrub to find other damage)", describe(block));
        stage(new MetaBatch().put(key(block.physicalOffset()), encode(block)));
    }

    /**
     * A read (or a write that must keep part of a block) found the block at data file offset
     * {@code physical} damaged: records it as seen through {@code volume} (or its {@code snapshot}) at
     * {@code blockOffset} and returns the exception to throw, naming {@code firstBadByte}.
     */
    io.depot.engine.DataCorruptionException readFailed(VolumeState volume, String snapshot, long physical, long blockOffset,
                                                       long firstBadByte) {
        String name = volume.name();
        found(new DamagedBlock(physical, name, volume.uuid(), snapshot, blockOffset, Instant.now(), "read"));
        return new io.depot.engine.DataCorruptionException(name, snapshot, firstBadByte);
    }

    /** Bytes [{@code from}, {@code to}) of the data file were rewritten or freed: damage there is gone. */
    void cleared(long from, long to) {
        if (!any) {
            return;
        }
        var gone = blocks.subMap(from - (BLOCK - 1), true, to - 1, true);
        if (gone.isEmpty()) {
            return;
        }
        MetaBatch b = new MetaBatch();
        for (var e : List.copyOf(gone.entrySet())) {
            if (blocks.remove(e.getKey()) != null) {
                b.delete(key(e.getKey()));
                log.info("damaged block at data file offset {} cleared (overwritten or freed)", e.getKey());
            }
        }
        any = !blocks.isEmpty();
        stage(b);
    }

    /** Clusters (of {@code 1 << clusterShift} bytes) were freed: damage in them is gone with them. */
    void clearedClusters(org.roaringbitmap.RoaringBitmap clusters, int clusterShift) {
        if (!any) {
            return;
        }
        for (long phys : List.copyOf(blocks.keySet())) {
            if (clusters.contains((int) (phys >>> clusterShift))) {
                cleared(phys, phys + BLOCK);
            }
        }
    }

    private void stage(MetaBatch b) {
        if (pipeline != null && !b.isEmpty()) {
            pipeline.stage(b, -1);
        }
    }

    static String describe(DamagedBlock b) {
        String where = b.snapshot() == null ? "volume " + b.volume() : "snapshot " + b.volume() + "@" + b.snapshot();
        return where + " offset " + b.offset() + " (4 KiB block at data file offset " + b.physicalOffset() + ", found by " + b.foundBy() + ")";
    }

    private static byte[] key(long phys) { return Keys.setting(PREFIX + String.format("%016x", phys)); }

    private static byte[] encode(DamagedBlock b) {
        String s = String.join("\t", Long.toString(b.physicalOffset()), b.volume(), String.valueOf(b.volumeUuid()),
                b.snapshot() == null ? "" : b.snapshot(), Long.toString(b.offset()), Long.toString(b.detected().toEpochMilli()), b.foundBy());
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static DamagedBlock decode(byte[] v) {
        String[] f = new String(v, StandardCharsets.UTF_8).split("\t", -1);
        if (f.length != 7) {
            log.warn("ignoring an unreadable damage record ({} fields)", f.length);
            return null;
        }
        return new DamagedBlock(Long.parseLong(f[0]), f[1], "null".equals(f[2]) ? null : UUID.fromString(f[2]),
                f[3].isEmpty() ? null : f[3], Long.parseLong(f[4]), Instant.ofEpochMilli(Long.parseLong(f[5])), f[6]);
    }
}
