package io.depot.nfs.nfs3;

import io.depot.engine.Catalog;
import io.depot.engine.CatalogCodec;
import io.depot.engine.CatalogNamespace;
import io.depot.nfs.fs.NamespaceKeys;
import io.depot.nfs.fs.Caller;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.FsException;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.mount.Export;
import io.depot.nfs.mount.ExportTable;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exports of one datastore, for MOUNT and for NFS (which finds a handle's export by id), and
 * the one place that decides what a client may do with an export ({@link #access}).
 *
 * <p>Exports are stored in the pool's catalog as {@code export/<path>} of namespace
 * {@value NamespaceKeys#NAMESPACE} (see
 * {@link NfsExport#encode}), so rules changed at run time survive restarts. At start the stored
 * exports are served; a configured export not stored yet is stored first (a stored one wins).
 */
public final class NfsExportTable implements ExportTable {
    private static final Logger log = LoggerFactory.getLogger(NfsExportTable.class);
    private static final String PREFIX = "export";

    /** What a client may do with an export. */
    public enum Access { DENIED, READ_ONLY, READ_WRITE }

    private final Datastore store;
    private final CatalogNamespace<String> stored;
    private final FileHandle.Codec handles;
    private final Map<Integer, NfsExport> byId = new ConcurrentHashMap<>();
    private final Map<Integer, Inode> roots = new ConcurrentHashMap<>();

    public NfsExportTable(Datastore store, Catalog catalog, List<NfsExport> configured) {
        this.store = store;
        this.stored = catalog.namespace(NamespaceKeys.NAMESPACE, CatalogCodec.UTF8);
        this.handles = new FileHandle.Codec(catalog.namespace(NamespaceKeys.NAMESPACE));
        for (Map.Entry<String, String> e : stored.list(PREFIX + "/").entrySet()) {
            String path = e.getKey().substring(PREFIX.length());
            install(NfsExport.decode(path, e.getValue()));
        }
        for (NfsExport e : configured) {
            if (find(e.path()) == null) {
                put(e);
            }
        }
    }

    /** Adds or replaces an export (its directory is made if missing), stored at once. */
    public synchronized void put(NfsExport e) {
        NfsExport other = byId.get(e.id());
        if (other != null && !other.path().equals(e.path())) {
            throw new IllegalArgumentException("export " + e.path() + " collides with " + other.path() + "'s id");
        }
        install(e);
        stored.put(PREFIX + e.path(), e.encode());
        log.info("export {}: {}", e.path(), e.encode());
    }

    /** Stops exporting {@code path} (the directory stays); its handles become stale. */
    public synchronized boolean remove(String path) {
        NfsExport e = find(path);
        if (e == null) {
            return false;
        }
        stored.delete(PREFIX + e.path());
        byId.remove(e.id());
        roots.remove(e.id());
        return true;
    }

    private void install(NfsExport e) {
        roots.put(e.id(), store.makeDirectories(e.path()));
        byId.put(e.id(), e);
    }

    @Override
    public NfsExport find(String path) {
        // libnfs asks for "" when a URL names a file in the root export (nfs://host/file)
        String p = path.isEmpty() ? "/" : path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        for (NfsExport e : byId.values()) {
            if (e.path().equals(p)) {
                return e;
            }
        }
        return null;
    }

    @Override
    public List<NfsExport> all() {
        List<NfsExport> out = new ArrayList<>(byId.values());
        out.sort(Comparator.comparing(NfsExport::path));
        return out;
    }

    NfsExport byId(int id) { return byId.get(id); }

    /** The inode number of an export's directory. */
    long root(NfsExport e) {
        Inode r = roots.get(e.id());
        if (r == null) {
            throw new io.depot.nfs.fs.FsException.Stale("export " + e.path() + " was removed");
        }
        return r.ino();
    }

    /** Whether {@link #access} decides without a name lookup (no rule names a host). */
    static boolean decidesWithoutLookup(NfsExport export) {
        for (ClientRule r : export.rules()) {
            if (r.needsNameLookup()) {
                return false;
            }
        }
        return true;
    }

    /** The first rule that matches {@code client} decides; no rules: read-write for everyone. */
    public static Access access(NfsExport export, InetAddress client) {
        if (export.rules().isEmpty()) {
            return Access.READ_WRITE;
        }
        for (ClientRule r : export.rules()) {
            if (r.matches(client)) {
                return r.readOnly() ? Access.READ_ONLY : Access.READ_WRITE;
            }
        }
        return Access.DENIED;
    }

    @Override
    public boolean allows(Export export, InetAddress client) {
        return access((NfsExport) export, client) != Access.DENIED;
    }

    FileHandle.Codec handles() { return handles; }

    /**
     * The file a handle names, for the lock manager (which keys locks by it, across exports): its
     * inode number, or empty when the handle is not one we signed, its export is gone, or the file is.
     */
    public java.util.OptionalLong fileIdOf(byte[] handle) {
        FileHandle h = handles.decode(handle);
        NfsExport e = h == null ? null : byId.get(h.exportId());
        try {
            if (e != null && store.view(h.ino(), root(e)).getattr(h.ino(), h.generation()) != null) {
                return java.util.OptionalLong.of(h.ino());
            }
        } catch (FsException gone) {
            // stale: removed file, reused inode number, or removed export
        }
        return java.util.OptionalLong.empty();
    }

    @Override
    public NfsExport findContaining(String path) {
        NfsExport best = null;
        for (NfsExport e : byId.values()) {
            String p = e.path();
            boolean holds = p.equals("/") ? path.startsWith("/") : path.startsWith(p + "/");
            if (holds && (best == null || p.length() > best.path().length())) {
                best = e;
            }
        }
        return best;
    }

    @Override
    public byte[] directoryHandle(Export export, String relative) {
        NfsExport e = (NfsExport) export;
        Inode root = roots.get(e.id());
        if (root == null) {
            return null;
        }
        try {
            Inode cur = root;
            for (String part : relative.split("/")) {
                if (part.isEmpty() || part.equals(".")) {
                    continue;
                }
                if (part.equals("..")) {
                    return null; // a mount path names a place inside the export, never above it
                }
                if (cur.ino() == root.ino() && part.equals(Nfs3Program.SNAPSHOTS)) {
                    long snapDir = Datastore.snapshotDirectory(root.ino());
                    cur = store.view(snapDir, root.ino()).getattr(snapDir);
                } else {
                    cur = store.view(cur.ino(), root.ino()).lookup(Caller.ROOT, cur.ino(), part);
                }
                if (!cur.isDirectory()) {
                    return null;
                }
            }
            return handles.encode(new FileHandle(e.id(), cur.ino(), cur.generation()));
        } catch (FsException notThere) {
            return null;
        }
    }

    @Override
    public byte[] rootHandle(Export export) {
        NfsExport e = (NfsExport) export;
        Inode root = roots.get(e.id());
        return handles.encode(new FileHandle(e.id(), root.ino(), root.generation()));
    }
}
