package io.depot.appliance.scrub;

import io.depot.engine.Pool;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.NamespaceKeys;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The NFS paths of file volumes, found by reading the datastore's directory entries in the pool's
 * catalog (the gateway knows files by inode; a report of damage is rare, so one scan of the namespace
 * per report is fine). A file with several hard links is named by one of them.
 */
final class NfsPaths {
    private static final String ENTRIES = "d/";

    /** Where a name lives: its directory and its name there. */
    private record Link(long dir, String name) {}

    private final Map<Long, Link> parents = new HashMap<>();

    private NfsPaths() {}

    /** Reads every directory entry of the datastore in {@code pool} (none if it has no datastore). */
    static NfsPaths of(Pool pool) {
        NfsPaths p = new NfsPaths();
        for (Map.Entry<String, byte[]> e : NamespaceKeys.of(pool).list(ENTRIES).entrySet()) {
            String key = e.getKey();   // d/<dir hex>/<name>
            int slash = key.indexOf('/', ENTRIES.length());
            if (slash < 0 || e.getValue().length < 8) {
                continue;
            }
            long dir = Long.parseUnsignedLong(key.substring(ENTRIES.length(), slash), 16);
            long child = ByteBuffer.wrap(e.getValue(), 0, 8).getLong();
            p.parents.putIfAbsent(child, new Link(dir, key.substring(slash + 1)));
        }
        return p;
    }

    /** The path of the file whose bytes are the volume {@code volumeName}, or null if none names it. */
    String pathOf(String volumeName) {
        for (Map.Entry<Long, Link> e : parents.entrySet()) {
            if (Datastore.volumeName(e.getKey()).equals(volumeName)) {
                return path(e.getKey());
            }
        }
        return null;
    }

    private String path(long ino) {
        StringBuilder out = new StringBuilder();
        long at = ino;
        for (int depth = 0; at != Datastore.ROOT && depth < 4096; depth++) {
            Link l = parents.get(at);
            if (l == null) {
                return null;   // unlinked meanwhile
            }
            out.insert(0, "/" + l.name());
            at = l.dir();
        }
        return out.length() == 0 ? "/" : out.toString();
    }
}
