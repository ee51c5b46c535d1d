package io.depot.nfs.nfs3;

import io.depot.nfs.fs.Datastore;
import io.depot.nfs.fs.Inode;
import io.depot.nfs.mount.Export;
import io.depot.nfs.mount.ExportTable;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The exports of one datastore, for MOUNT and for NFS (which finds a handle's export by id). */
public final class NfsExportTable implements ExportTable {
    private final List<NfsExport> exports;
    private final Map<Integer, NfsExport> byId = new ConcurrentHashMap<>();
    private final Map<Integer, Inode> roots = new ConcurrentHashMap<>();

    /** Makes each export's directory if it is missing. */
    public NfsExportTable(Datastore store, List<NfsExport> exports) {
        this.exports = List.copyOf(exports);
        for (NfsExport e : exports) {
            if (!e.path().startsWith("/")) {
                throw new IllegalArgumentException("export path " + e.path() + " must start with '/'");
            }
            if (byId.putIfAbsent(e.id(), e) != null) {
                throw new IllegalArgumentException("export " + e.path() + " is listed twice (or collides with another's id)");
            }
            roots.put(e.id(), store.makeDirectories(e.path()));
        }
    }

    @Override
    public NfsExport find(String path) {
        // libnfs asks for "" when a URL names a file in the root export (nfs://host/file)
        String p = path.isEmpty() ? "/" : path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        for (NfsExport e : exports) {
            if (e.path().equals(p)) {
                return e;
            }
        }
        return null;
    }

    @Override
    public List<NfsExport> all() { return exports; }

    NfsExport byId(int id) { return byId.get(id); }

    @Override
    public boolean allows(Export export, InetAddress client) {
        if (export.clients().isEmpty()) {
            return true;
        }
        for (String spec : export.clients()) {
            if (spec.equals("*") || matches(spec, client)) {
                return true;
            }
        }
        return false;
    }

    /** An address, or a CIDR block "a.b.c.d/n". */
    static boolean matches(String spec, InetAddress client) {
        try {
            int slash = spec.indexOf('/');
            InetAddress net = InetAddress.getByName(slash < 0 ? spec : spec.substring(0, slash));
            byte[] a = net.getAddress();
            byte[] c = client.getAddress();
            if (a.length != c.length) {
                return false;
            }
            int bits = slash < 0 ? a.length * 8 : Integer.parseInt(spec.substring(slash + 1));
            BigInteger mask = BigInteger.ONE.shiftLeft(a.length * 8).subtract(BigInteger.ONE)
                    .shiftRight(bits).not();
            return new BigInteger(1, a).and(mask).equals(new BigInteger(1, c).and(mask));
        } catch (UnknownHostException | NumberFormatException e) {
            return false;
        }
    }

    @Override
    public byte[] rootHandle(Export export) {
        NfsExport e = (NfsExport) export;
        Inode root = roots.get(e.id());
        return new FileHandle(e.id(), root.ino(), root.generation()).encode();
    }
}
