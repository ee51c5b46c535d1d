package io.depot.nfs.fs;

import io.depot.engine.EngineException;
import io.depot.engine.Pool;
import io.depot.engine.CatalogNamespace;
import io.depot.engine.Volume;
import java.util.List;
import java.util.concurrent.locks.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A datastore: a directory tree kept in the pool's settings, whose regular files are engine
 * volumes. This class opens and closes one and is its public face: the file system (access
 * checked, {@link AccessCheckedFs}), its event-loop fast path ({@link #fastPath}), export
 * snapshots and clones. The work is done by classes with one job each:
 *
 * <ul>
 *   <li>{@link NamespaceStore}: the tree as stored ({@link NamespaceKeys}) and its atomic
 *       changes, under the namespace lock; {@link NamespaceCache}: inodes and entries in memory;
 *       {@link NamespaceLog}: the one way a change becomes durable.</li>
 *   <li>{@link LiveFileSystem}: lookups, listings and namespace changes; {@link FileOperations}:
 *       a file's data and attributes; {@link OpenFiles}: open files and their locks;
 *       {@link FileVolumes}: the volumes behind files (lazy create, background delete, the
 *       recovery sweep at open); {@link FileClones}: files made by cloning.</li>
 *   <li>{@link EventLoopFastPath}: the same operations from memory, never blocking.</li>
 *   <li>{@link ExportSnapshots}: export-wide snapshots, seen through {@link SnapshotView}s.</li>
 * </ul>
 * The locks they take, and in which order, are listed in {@link LockOrder}.
 */
public final class Datastore extends AccessCheckedFs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Datastore.class);

    public static final long ROOT = 1;
    public static final long MAX_FILE_SIZE = 64L << 40; // the engine's largest volume
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_LINKS = 65000;
    static final long FIRST_COOKIE = 3; // 1 and 2 are "." and ".."
    static final int SECTOR = 512;
    static final long DIR_SIZE = 4096;

    private final Pool pool;
    private final NamespaceStore namespace;
    private final FileVolumes volumes;
    private final OpenFiles files;
    private final LiveFileSystem live;
    private final FileOperations data;
    private final EventLoopFastPath fastPath;
    private final ExportSnapshots snapshots;
    private final FileClones clones;

    /**
     * How much the datastore keeps in memory.
     *
     * @param inodes     cached inodes (plus those whose size is not stored yet)
     * @param openFiles  open files (plus those with I/O under way)
     */
    public record Limits(int inodes, int openFiles) {
        public static Limits defaults() { return new Limits(100_000, 4096); }
    }

    public enum CloneMode {
        /** Shares the source's blocks until either side overwrites them. */
        LINKED,
        /** Usable at once; its blocks are copied in the background, after which it depends on nothing. */
        FULL
    }

    /** The parts, made before the access-checking wrapper that this class is can be built around them. */
    private record Parts(Pool pool, NamespaceStore namespace, FileVolumes volumes, OpenFiles files, LiveFileSystem live,
                         FileOperations data) {}

    private Datastore(Parts p) {
        super(p.live());
        this.pool = p.pool();
        this.namespace = p.namespace();
        this.volumes = p.volumes();
        this.files = p.files();
        this.live = p.live();
        this.data = p.data();
        this.fastPath = new EventLoopFastPath(namespace, live, files, data);
        this.snapshots = new ExportSnapshots(namespace, volumes, live, pool);
        this.clones = new FileClones(namespace, live, volumes);
    }

    /** Opens the datastore of {@code pool}, creating its root on first use and repairing what a crash left. */
    public static Datastore open(Pool pool) {
        return open(pool, Limits.defaults());
    }

    public static Datastore open(Pool pool, Limits limits) {
        CatalogNamespace<byte[]> records = NamespaceKeys.of(pool);
        NamespaceStore namespace = new NamespaceStore(records, new NamespaceLog(pool.catalog(), records), new NamespaceCache(limits.inodes()));
        boolean cleanStart = namespace.takeCleanMark();
        if (namespace.createRootIfMissing()) {
            log.info("created an empty NFS datastore in pool {}", pool.uuid());
        }
        FileVolumes volumes = new FileVolumes(pool, namespace);
        OpenFiles files = new OpenFiles(limits.openFiles(), cleanStart);
        FileOperations data = new FileOperations(namespace, volumes, files);
        LiveFileSystem live = new LiveFileSystem(pool, namespace, data, volumes, files);
        Datastore d = new Datastore(new Parts(pool, namespace, volumes, files, live, data));
        volumes.recover(d.snapshots);
        NamespaceLog changes = namespace.log();
        changes.awaitDurable(changes.lastTicket());
        return d;
    }

    /** The name of the volume that holds file {@code ino}'s bytes. */
    public static String volumeName(long ino) { return NamespaceKeys.volumeName(ino); }

    /**
     * Whether {@code name} is one the datastore gives its files' volumes ({@link #volumeName}):
     * such names are kept for it, so that no other volume takes a future file's. It says nothing
     * about an existing volume, which belongs to its {@link io.depot.engine.Volume#owner()}.
     */
    public static boolean isFileVolumeName(String name) { return NamespaceKeys.isVolumeName(name); }

    /** The operations an event loop may call: they never block, and decline what would. */
    public MemoryFastPath fastPath() { return fastPath; }

    /** The directory at {@code path}, made (as root, mode 0755) with any missing parents. */
    public Inode makeDirectories(String path) { return live.makeDirectories(path); }

    /** The datastore's records in the pool's catalog. */
    CatalogNamespace<byte[]> records() { return NamespaceKeys.of(pool); }

    /** A regular file's volume; the file must have one. */
    Volume volume(Inode file) { return volumes.volume(file); }

    // ------------------------------------------------------------------ snapshots and clones

    /**
     * Takes a consistent snapshot of every file under the export directory {@code exportPath},
     * visible read-only as {@code <export>/.snapshots/<name>/} (see {@link ExportSnapshots}).
     */
    public ExportSnapshot createExportSnapshot(String exportPath, String name) {
        Names.checkNew(name);
        Inode root = resolve(exportPath);
        if (!root.isDirectory()) {
            throw new FsException.NotDirectory(exportPath);
        }
        namespace.lock();
        try {
            return snapshots.create(root.ino(), name, NamespaceStore.now());
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        } finally {
            namespace.unlock();
        }
    }

    /** Deletes an export snapshot; NoEntry if there is none of that name. */
    public void deleteExportSnapshot(String exportPath, String name) {
        Inode root = resolve(exportPath);
        namespace.lock();
        try {
            ExportSnapshot s = snapshots.byName(root.ino(), name);
            if (s == null) {
                throw new FsException.NoEntry("export snapshot '" + name + "' of " + exportPath);
            }
            snapshots.delete(s);
        } finally {
            namespace.unlock();
        }
    }

    public List<ExportSnapshot> listExportSnapshots(String exportPath) {
        return snapshots.list(resolve(exportPath).ino());
    }

    /** The snapshots of the export whose directory is inode {@code root}. */
    public List<ExportSnapshot> exportSnapshots(long root) { return snapshots.list(root); }

    /** Snapshot {@code name} of the export whose directory is {@code root}, or null. */
    public ExportSnapshot exportSnapshot(long root, String name) { return snapshots.byName(root, name); }

    /** The read-only file system of export snapshot {@code id}; Stale once deleted. */
    public VirtualFileSystem snapshotView(int id) { return snapshots.view(id); }

    /**
     * The file system object {@code number} belongs to, seen from the export whose directory is
     * {@code exportRoot}: the live datastore, that export's {@code .snapshots} directory, or one
     * of its snapshots (numbers above 2^40, see {@link SnapshotView}). Stale for a snapshot of
     * another export.
     */
    public VirtualFileSystem view(long number, long exportRoot) {
        int sid = SnapshotView.snapshotOf(number);
        if (sid == 0) {
            return this;
        }
        if (sid == SnapshotDirectory.MARK) {
            if ((number & SnapshotView.LIVE_MASK) != exportRoot) {
                throw new FsException.Stale("the snapshot directory of another export");
            }
            return new SnapshotDirectory(this, exportRoot);
        }
        SnapshotView v = snapshots.view(sid);
        if (v.snapshot().exportRoot() != exportRoot) {
            throw new FsException.Stale("a snapshot of another export");
        }
        return v;
    }

    /** Whether {@code number} names an object of a snapshot or a {@code .snapshots} directory (not of the live tree). */
    public static boolean isSnapshotObject(long number) {
        return SnapshotView.snapshotOf(number) != 0;
    }

    /** Whether {@code number} is the root of a snapshot of the export whose directory is {@code exportRoot}. */
    public static boolean isSnapshotRoot(long number, long exportRoot) {
        int sid = SnapshotView.snapshotOf(number);
        return sid != 0 && sid != SnapshotDirectory.MARK && (number & SnapshotView.LIVE_MASK) == exportRoot;
    }

    /** The number of the {@code .snapshots} directory of the export whose directory is {@code exportRoot}. */
    public static long snapshotDirectory(long exportRoot) { return SnapshotDirectory.number(exportRoot); }

    /** The number the root of export snapshot {@code s} has in its view. */
    public static long snapshotRoot(ExportSnapshot s) { return SnapshotView.number(s.id(), s.exportRoot()); }

    /**
     * An instant copy of the regular file {@code srcPath} as the new file {@code dstPath} (its
     * directory must exist); see {@link FileClones#cloneFile}.
     */
    public Inode cloneFile(String srcPath, String dstPath, CloneMode mode) { return clones.cloneFile(srcPath, dstPath, mode); }

    /**
     * A new regular file {@code path} whose bytes are a clone of {@code snapshot}, an engine
     * snapshot of any volume; see {@link FileClones#importSnapshot}.
     */
    public Inode importSnapshot(io.depot.engine.Snapshot snapshot, String path, CloneMode mode) {
        return clones.importSnapshot(snapshot, path, mode);
    }

    // ------------------------------------------------------------------ statistics

    /**
     * Metadata-log syncs of the pool so far (every commit that made a namespace change durable
     * made one); fewer than namespace changes when concurrent ones shared a commit.
     */
    public long namespaceSyncs() { return pool.catalog().commitCounters().walSyncs(); }

    /** Namespace changes applied since the datastore opened (each durable before its caller's reply). */
    public long namespaceChanges() { return namespace.log().changes(); }

    /** Waits until the volumes of files removed so far are deleted (or kept for their snapshots); for tests. */
    void awaitVolumeDeletions() { volumes.awaitDeletions(); }

    /** The lock the volume deleter holds while it deletes; a test holds it to stop the deleter. */
    Lock volumeDeletionLock() { return volumes.deletionLock(); }

    /** Inodes held in memory now; for tests and diagnostics. */
    int cachedInodes() { return namespace.cache().size(); }

    /** Files held open now; for tests and diagnostics. */
    int openFiles() { return files.size(); }

    /** Volumes of open files in use; for tests and diagnostics. */
    public Volume volumeOf(long ino) {
        return volumes.volume(data.regularFile(ino));
    }

    /** Bytes the engine holds for a file (NFS "used"). */
    public long allocatedBytes(Inode i) {
        if (!i.isRegular()) {
            return i.isDirectory() ? DIR_SIZE : 0;
        }
        if (i.volume() == null) {
            return 0;
        }
        try {
            return volumes.volume(i).allocatedBytes();
        } catch (FsException | EngineException e) {
            return 0;
        }
    }

    /** Finishes pending volume deletions; makes cached sizes and times durable (flushing their files first). */
    @Override
    public void close() {
        volumes.close();
        boolean complete = true;
        NamespaceCache cache = namespace.cache();
        for (long ino : cache.dirtyInodes()) {
            try {
                namespace.persistDurably(ino); // with the file's data: one commit
            } catch (RuntimeException e) {
                complete = false;
                log.warn("could not store the size of file {} at close: {}", ino, e.getMessage());
            }
        }
        if (complete && !cache.hasDirty()) {
            namespace.markClean();
        }
    }
}
