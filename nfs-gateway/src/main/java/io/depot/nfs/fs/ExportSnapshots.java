package io.depot.nfs.fs;

import io.depot.engine.DependentClonesException;
import io.depot.engine.EngineException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.Pool;
import io.depot.engine.CatalogNamespace;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Export-wide snapshots of a {@link Datastore}.
 *
 * <h2>Layout (keys in the catalog namespace {@value NamespaceKeys#NAMESPACE})</h2>
 * <pre>
 * next-snap                  the next snapshot id (4 bytes); ids are never reused
 * snap/ROOT/NAME             snapshot NAME of the export whose directory is inode ROOT: its id
 * sid/SID                    snapshot SID (8 hex digits): export root (8), created (8, ns), name
 * s/SID/i/INO, s/SID/d/DIR/NAME, s/SID/c/DIR/COOKIE
 *                                the export's namespace as it was, in the live layout
 * </pre>
 * Each regular file's volume gets an engine snapshot named {@code nfs-sSID}, all of them taken
 * by one {@link Pool#snapshotGroup} while the namespace lock is held, so the frozen namespace
 * and the frozen bytes are of one instant. Sizes are the in-memory ones (what clients saw).
 *
 * <h2>Crash safety</h2>
 * Taking: engine snapshots first, then one catalog change with the frozen namespace and both
 * records. Deleting: the records go first (the snapshot disappears at once), then the engine
 * snapshots and the frozen namespace. At open, engine snapshots and frozen namespaces without a
 * record are deleted, and so is the volume of a removed file once nothing reads through it.
 */
final class ExportSnapshots {
    private static final Logger log = LoggerFactory.getLogger(ExportSnapshots.class);
    private static final String NEXT = "next-snap";
    static final String ENGINE_PREFIX = "nfs-s";
    /** Prefix of the engine snapshot a file clone is made from ({@link FileClones#cloneFile}). */
    static final String CLONE_BASE_PREFIX = "nfsclone-";

    private final NamespaceStore namespace;
    private final FileVolumes fileVolumes;
    private final VirtualFileSystem live;
    private final Pool pool;
    /** Reads only: every change goes through {@link #namespaceLog}. */
    private final CatalogNamespace<byte[]> records;
    private final NamespaceLog namespaceLog;
    private final Map<Integer, SnapshotView> views = new ConcurrentHashMap<>();

    ExportSnapshots(NamespaceStore namespace, FileVolumes volumes, VirtualFileSystem live, Pool pool) {
        this.namespace = namespace;
        this.fileVolumes = volumes;
        this.live = live;
        this.pool = pool;
        this.records = NamespaceKeys.of(pool);
        this.namespaceLog = namespace.log();
    }

    static String sidHex(int sid) { return String.format("%08x", sid); }

    static String engineName(int sid) { return ENGINE_PREFIX + sidHex(sid); }

    private static String byNameKey(long root, String name) { return "snap/" + NamespaceKeys.hex(root) + "/" + name; }

    private static String recordKey(int sid) { return "sid/" + sidHex(sid); }

    static String frozenPrefix(int sid) { return "s/" + sidHex(sid) + "/"; }

    /** Where the kind of a frozen record ({@code i/}, {@code d/}, {@code c/}) starts in its key. */
    private static final int FROZEN_KIND_AT = frozenPrefix(0).length();

    private static ExportSnapshot decode(int sid, byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v);
        long root = b.getLong();
        long created = b.getLong();
        String name = new String(v, 16, v.length - 16, StandardCharsets.UTF_8);
        return new ExportSnapshot(sid, root, name, Instant.ofEpochSecond(0, created));
    }

    ExportSnapshot byId(int sid) {
        byte[] v = records.get(recordKey(sid));
        return v == null ? null : decode(sid, v);
    }

    ExportSnapshot byName(long root, String name) {
        byte[] v = records.get(byNameKey(root, name));
        return v == null ? null : byId(ByteBuffer.wrap(v).getInt());
    }

    /** The snapshots of the export whose directory is {@code root}, by name. */
    List<ExportSnapshot> list(long root) {
        List<ExportSnapshot> out = new ArrayList<>();
        for (byte[] v : records.list("snap/" + NamespaceKeys.hex(root) + "/").values()) {
            ExportSnapshot s = byId(ByteBuffer.wrap(v).getInt());
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /** The read-only file system of snapshot {@code sid}; Stale once it is deleted. */
    SnapshotView view(int sid) {
        SnapshotView v = views.get(sid);
        if (v == null) {
            ExportSnapshot s = byId(sid);
            if (s == null) {
                throw new FsException.Stale("export snapshot " + sid + " does not exist");
            }
            v = views.computeIfAbsent(sid, k -> new SnapshotView(live, records, fileVolumes, s));
        }
        return v;
    }

    /** Under the datastore's namespace lock: {@code root}'s subtree, frozen with its files' bytes. */
    ExportSnapshot create(long root, String name, long now) {
        if (byName(root, name) != null) {
            throw new FsException.Exists("export snapshot '" + name + "'");
        }
        byte[] n = records.get(NEXT);
        int sid = n == null ? 1 : ByteBuffer.wrap(n).getInt();
        String prefix = frozenPrefix(sid);
        Map<String, byte[]> changes = new LinkedHashMap<>();
        List<Volume> volumes = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        Deque<Long> dirs = new ArrayDeque<>();
        dirs.add(root);
        seen.add(root);
        changes.put(prefix + "i/" + NamespaceKeys.hex(root), namespace.getattr(root).encode());
        while (!dirs.isEmpty()) {
            long dir = dirs.poll();
            copy(NamespaceKeys.namePrefix(dir), prefix, changes);
            for (byte[] v : copy(NamespaceKeys.cookiePrefix(dir), prefix, changes)) {
                long child = ByteBuffer.wrap(v).getLong();
                if (!seen.add(child)) {
                    continue; // another link to a file already frozen
                }
                Inode i = namespace.getattr(child);
                changes.put(prefix + "i/" + NamespaceKeys.hex(child), i.encode());
                if (i.isDirectory()) {
                    dirs.add(child);
                } else if (i.isRegular() && i.volume() != null) { // a never-written file has no bytes to freeze
                    volumes.add(fileVolumes.volume(i));
                }
            }
        }
        long created = now;
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        changes.put(recordKey(sid), ByteBuffer.allocate(16 + nameBytes.length).putLong(root).putLong(created).put(nameBytes).array());
        changes.put(byNameKey(root, name), ByteBuffer.allocate(4).putInt(sid).array());
        changes.put(NEXT, ByteBuffer.allocate(4).putInt(sid + 1).array());
        List<Snapshot> taken = volumes.isEmpty() ? List.of() : pool.snapshotGroup(engineName(sid), volumes.toArray(Volume[]::new));
        try {
            namespaceLog.applyDurably(changes);
        } catch (RuntimeException e) {
            for (Snapshot s : taken) {
                deleteQuietly(s);
            }
            throw e;
        }
        log.info("export snapshot '{}' (id {}) of directory {}: {} objects, {} files", name, sid, root, seen.size(), volumes.size());
        return new ExportSnapshot(sid, root, name, Instant.ofEpochSecond(0, created));
    }

    /** Copies every record under {@code livePrefix} to the frozen namespace; returns the values. */
    private List<byte[]> copy(String livePrefix, String frozen, Map<String, byte[]> changes) {
        List<byte[]> values = new ArrayList<>();
        String after = null;
        while (true) {
            Map<String, byte[]> page = records.list(livePrefix, after, 4096);
            if (page.isEmpty()) {
                return values;
            }
            for (Map.Entry<String, byte[]> e : page.entrySet()) {
                changes.put(frozen + e.getKey(), e.getValue());
                values.add(e.getValue());
                after = e.getKey();
            }
        }
    }

    /** Removes the snapshot: invisible at once, then its engine snapshots, frozen namespace, and volumes nothing needs. */
    void delete(ExportSnapshot s) {
        Map<String, byte[]> unlink = new LinkedHashMap<>();
        unlink.put(recordKey(s.id()), null);
        unlink.put(byNameKey(s.exportRoot(), s.name()), null);
        namespaceLog.applyDurably(unlink);
        views.remove(s.id());
        purge(s.id());
    }

    /** Engine snapshots and frozen namespace of a snapshot whose records are gone. */
    private void purge(int sid) {
        String prefix = frozenPrefix(sid);
        String engine = engineName(sid);
        String after = null;
        while (true) {
            Map<String, byte[]> page = records.list(prefix, after, 4096);
            if (page.isEmpty()) {
                break;
            }
            Map<String, byte[]> deletes = new LinkedHashMap<>();
            for (Map.Entry<String, byte[]> e : page.entrySet()) {
                String key = e.getKey();
                if (key.startsWith(prefix + "i/")) {
                    Inode i = Inode.decode(Long.parseUnsignedLong(key.substring(prefix.length() + 2), 16), e.getValue());
                    if (i.isRegular()) {
                        fileVolumes.dropSnapshot(i.volume(), engine);
                    }
                }
                deletes.put(key, null);
                after = key;
            }
            namespaceLog.applyDurably(deletes);
        }
    }

    /** Calls {@code each} with the volume of every regular file frozen in an export snapshot (repeats possible). */
    void forEachFrozenFileVolume(Consumer<UUID> each) {
        String after = null;
        while (true) {
            Map<String, byte[]> page = records.list("s/", after, 4096);
            if (page.isEmpty()) {
                return;
            }
            for (Map.Entry<String, byte[]> e : page.entrySet()) {
                String key = e.getKey(); // s/SID/i/INO, s/SID/d/..., s/SID/c/...
                after = key;
                if (key.startsWith("i/", FROZEN_KIND_AT)) {
                    Inode i = Inode.decode(Long.parseUnsignedLong(key.substring(FROZEN_KIND_AT + 2), 16), e.getValue());
                    if (i.isRegular() && i.volume() != null) {
                        each.accept(i.volume());
                    }
                }
            }
        }
    }

    /**
     * At open: deletes engine snapshots and frozen namespaces that no record owns (a take or
     * delete a crash interrupted), and clone bases no clone reads through any more.
     */
    void recover(Collection<Volume> volumes) {
        Set<Integer> orphans = new HashSet<>();
        String after = null;
        while (true) { // one key per snapshot: skip past each one's frozen namespace
            Map<String, byte[]> first = records.list("s/", after, 1);
            if (first.isEmpty()) {
                break;
            }
            String key = first.keySet().iterator().next();
            int sid = Integer.parseUnsignedInt(key.substring(2, 10), 16);
            if (byId(sid) == null) {
                orphans.add(sid);
            }
            after = frozenPrefix(sid) + "\uffff";
        }
        for (int sid : orphans) {
            log.warn("removing the remains of export snapshot {} (a crash interrupted taking or deleting it)", sid);
            purge(sid);
        }
        for (Volume v : volumes) {
            for (Snapshot s : v.snapshots()) {
                if (s.name().startsWith(ENGINE_PREFIX)) {
                    int sid = Integer.parseUnsignedInt(s.name().substring(ENGINE_PREFIX.length()), 16);
                    if (byId(sid) == null) {
                        deleteQuietly(s);
                    }
                } else if (s.name().startsWith(CLONE_BASE_PREFIX)) {
                    try {
                        s.delete();
                    } catch (DependentClonesException stillUsed) {
                        // a linked clone (or a full clone still copying) reads through it
                    }
                }
            }
        }
    }

    private static void deleteQuietly(Snapshot s) {
        try {
            s.delete();
        } catch (NoSuchSnapshotException gone) {
            // already done
        } catch (EngineException e) {
            log.warn("could not delete snapshot {}: {} (the next start retries)", s, e.getMessage());
        }
    }
}
