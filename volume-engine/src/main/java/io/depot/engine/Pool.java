package io.depot.engine;

import io.depot.engine.core.Engine;
import io.depot.engine.store.BlockStore;
import io.depot.engine.store.FileBlockStore;
import io.depot.engine.store.MetadataStore;
import io.depot.engine.store.RocksMetadataStore;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * A pool: one directory holding RocksDB metadata ({@code meta/}), a descriptor
 * ({@code pool.properties}) and, unless placed elsewhere, the sparse data file ({@code data}).
 * The entry point of the engine API.
 */
public final class Pool implements AutoCloseable {
    private static final String DESCRIPTOR = "pool.properties";
    /** Format 2: every block's CRC32C in its mapping (format 1: none). */
    static final String CURRENT_FORMAT = "2";

    private final Engine engine;
    private final Path dir;
    private final Catalog catalog;

    private Pool(Engine engine, Path dir) {
        this.engine = engine;
        this.dir = dir;
        this.catalog = new Catalog(engine.metadata(), engine.commitSyncer());
    }

    /** Formats a new pool in {@code dir} (created if missing; must not already hold a pool). */
    public static Pool create(Path dir, PoolOptions options) {
        return create(dir, options, PoolTuning.defaults());
    }

    /** Formats a new pool and opens it with {@code tuning}. */
    public static Pool create(Path dir, PoolOptions options, PoolTuning tuning) {
        Path descriptor = dir.resolve(DESCRIPTOR);
        if (Files.exists(descriptor)) {
            throw new PoolFormatException("a pool already exists in " + dir);
        }
        Path data = options.dataPath() == null ? dir.resolve("data") : options.dataPath().toAbsolutePath();
        try {
            Files.createDirectories(dir.resolve("meta"));
            Properties p = new Properties();
            p.setProperty("format", CURRENT_FORMAT);
            p.setProperty("data", options.dataPath() == null ? "data" : data.toString());
            Path tmp = dir.resolve(DESCRIPTOR + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp)) {
                p.store(w, "Depot pool descriptor: where the payload lives. Do not edit while the pool is open.");
            }
            MetadataStore meta = new RocksMetadataStore(dir.resolve("meta"));
            BlockStore blocks;
            try {
                blocks = new FileBlockStore(data);
            } catch (RuntimeException e) {
                meta.close();
                throw e;
            }
            Engine engine;
            try {
                engine = Engine.create(meta, blocks, options.clusterSize(), options.capacityBytes(), tuning);
            } catch (RuntimeException e) {
                meta.close();
                blocks.close();
                throw e;
            }
            Files.move(tmp, descriptor, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return new Pool(engine, dir);
        } catch (IOException e) {
            throw new StorageIoException("cannot create pool in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Opens an existing pool. */
    public static Pool open(Path dir) {
        return open(dir, PoolTuning.defaults());
    }

    /** Opens an existing pool with {@code tuning}. */
    public static Pool open(Path dir, PoolTuning tuning) {
        Path descriptor = dir.resolve(DESCRIPTOR);
        if (!Files.exists(descriptor)) {
            throw new PoolFormatException("no pool in " + dir + " (missing " + DESCRIPTOR + ")");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(descriptor)) {
            p.load(r);
        } catch (IOException e) {
            throw new StorageIoException("cannot read " + descriptor + ": " + e.getMessage(), e);
        }
        String format = p.getProperty("format");
        if (!"1".equals(format) && !CURRENT_FORMAT.equals(format)) {
            throw new PoolFormatException("pool format " + format + " in " + dir + " is not supported (this release reads formats 1 and "
                    + CURRENT_FORMAT + ")");
        }
        if ("1".equals(format)) {
            markFormat2(descriptor, p);
        }
        Path data = dir.resolve(p.getProperty("data", "data"));
        if (!Files.exists(data)) {
            throw new PoolFormatException("data store " + data + " of pool " + dir + " is missing");
        }
        MetadataStore meta = new RocksMetadataStore(dir.resolve("meta"));
        BlockStore blocks = new FileBlockStore(data);
        try {
            return new Pool(Engine.open(meta, blocks, tuning), dir);
        } catch (RuntimeException e) {
            meta.close();
            blocks.close();
            throw e;
        }
    }

    /**
     * A format-1 pool opened by this release: from now on its new data is checksummed, which a
     * format-1 release would not keep up to date, so the descriptor says 2 (atomically, before
     * anything is written). Its existing data stays unverified until {@code depot pool upgrade}.
     */
    private static void markFormat2(Path descriptor, Properties p) {
        p.setProperty("format", CURRENT_FORMAT);
        Path tmp = descriptor.resolveSibling(DESCRIPTOR + ".tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp)) {
                p.store(w, "Depot pool descriptor: where the payload lives. Do not edit while the pool is open.");
            }
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, descriptor, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StorageIoException("cannot mark pool " + descriptor.getParent() + " as format " + CURRENT_FORMAT + ": " + e.getMessage(), e);
        }
        org.slf4j.LoggerFactory.getLogger(Pool.class).warn("pool {} was made by a format-1 release: it is now format {} (older releases "
                + "refuse it); new writes are checksummed, data written before is read unverified until 'depot pool upgrade'",
                descriptor.getParent(), CURRENT_FORMAT);
    }

    /** True if {@code dir} holds a pool. */
    public static boolean exists(Path dir) {
        return Files.exists(dir.resolve(DESCRIPTOR));
    }

    Engine engine() { return engine; }

    public Path directory() { return dir; }

    public UUID uuid() { return engine.poolRecord().uuid(); }

    public int clusterSize() { return engine.clusterSize(); }

    /** Creates an empty thin volume, the user's. */
    public Volume createVolume(String name, long sizeBytes) {
        return createVolume(name, sizeBytes, VolumeOwner.USER);
    }

    /** Creates an empty thin volume owned by {@code owner} (kept for the volume's life, see {@link VolumeOwner}). */
    public Volume createVolume(String name, long sizeBytes, VolumeOwner owner) {
        return new Volume(this, engine.createVolume(name, sizeBytes, owner));
    }

    public Volume volume(String name) { return new Volume(this, engine.volume(name)); }

    public Volume volume(UUID uuid) { return new Volume(this, engine.volume(uuid)); }

    public List<Volume> volumes() {
        return engine.volumes().stream().map(v -> new Volume(this, v)).toList();
    }

    /** Snapshots several volumes at one instant, each snapshot named {@code name}. */
    public List<Snapshot> snapshotGroup(String name, Volume... volumes) {
        return engine.snapshotGroup(Arrays.stream(volumes).map(Volume::state).toList(), name)
                .stream().map(r -> new Snapshot(this, r)).toList();
    }

    /**
     * Reports every volume's completed reads, writes, flushes and unmaps to an observer from
     * {@code observers} (the appliance's metrics); {@link VolumeIoObservers#NONE} stops it.
     */
    public void observeIo(VolumeIoObservers observers) { engine.observeIo(observers); }

    /**
     * The catalog of the layers above (NFS namespace, iSCSI targets and reservations, schedules):
     * namespaced records made durable by the pool's commits, with tickets to wait for.
     */
    public Catalog catalog() { return catalog; }

    public PoolUsage usage() { return engine.usage(); }

    /** Damaged data the pool's checksums found (by reads and scrubs), until cleared; degraded health while any. */
    public PoolIntegrity integrity() { return engine.integrity(); }

    /** The reader pins of zero-copy reads ({@link Volume#plan}) and the freed clusters they hold back. */
    public io.depot.engine.core.ReaderPins readerPins() { return engine.reads().pins(); }

    /**
     * Waits until the background reclaim of deleted volumes is done, so {@link #usage()} shows their
     * space as free; false if it is still running at the timeout.
     */
    public boolean awaitReclaim(java.time.Duration timeout) throws InterruptedException {
        return engine.awaitReclaim(timeout.toMillis());
    }

    /**
     * Starts a scrub: every allocated cluster is read once (clusters shared by snapshots and clones
     * once) and each 4 KiB block verified against its checksum, in the background, reading at most
     * {@code bytesPerSecond} (0: no cap; see {@link ScrubStatus#DEFAULT_BANDWIDTH}). Damage goes to
     * {@link #integrity()} and into the report with every volume, snapshot and clone that reads it.
     * Refused while a scrub or upgrade runs.
     */
    public ScrubStatus scrub(long bytesPerSecond) { return engine.startScrub(ScrubStatus.Mode.SCRUB, bytesPerSecond); }

    /**
     * Upgrades the data a format-1 release wrote: the same walk as {@link #scrub}, which also gives
     * every cluster without checksums its CRCs (computed from its data, one cluster at a time, so a
     * crash leaves each cluster done or not and the next upgrade finishes). Online: I/O goes on.
     * When it is done, {@link PoolIntegrity#unverifiedClusters()} is 0.
     */
    public ScrubStatus upgrade(long bytesPerSecond) { return engine.startScrub(ScrubStatus.Mode.UPGRADE, bytesPerSecond); }

    /** Continues a cancelled or failed scrub or upgrade from where it stopped (one running at close resumes by itself). */
    public ScrubStatus resumeScrub() { return engine.resumeScrub(); }

    /** The running or last scrub or upgrade. */
    public ScrubStatus scrubStatus() { return engine.scrubStatus(); }

    /** Stops the running scrub or upgrade, keeping where it was; false if none was running. */
    public boolean cancelScrub() { return engine.cancelScrub(); }

    /** Waits up to {@code timeout} for the running scrub or upgrade to end; returns its status then. */
    public ScrubStatus awaitScrub(java.time.Duration timeout) throws InterruptedException { return engine.awaitScrub(timeout.toMillis()); }

    /** Grows the pool's capacity. */
    public void growCapacity(long capacityBytes) { engine.growCapacity(capacityBytes); }

    /** Durability barrier for every volume of the pool. */
    public void flush() { engine.flush(); }

    /** Runs the consistency checker (scrub); an empty list means consistent. */
    public List<String> verify() { return engine.verify(); }

    /** Flushes and closes; the pool can be opened again. */
    @Override
    public void close() { engine.close(); }
}
