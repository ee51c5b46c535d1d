package io.depot.nfs.bench;

import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * What the bench clients share against any NFSv3 server: finding a program through the portmapper
 * (port 111), mounting an export, a server process's CPU time, and one TCP connection making NFSv3
 * calls with only the fields a bench needs decoded (as root, AUTH_SYS).
 */
public final class NfsBenchSession implements AutoCloseable {
    public static final int NFS_PROGRAM = 100003, NFS_VERSION = 3;
    private static final int PMAP_PROGRAM = 100000, PMAP_VERSION = 2, PMAP_GETPORT = 3, IPPROTO_TCP = 6;
    private static final int MOUNT_PROGRAM = 100005, MOUNT_VERSION = 3, MOUNT_MNT = 1;
    private static final int GETATTR = 1, LOOKUP = 3, CREATE = 8, MKDIR = 9, REMOVE = 12, RMDIR = 13, FSINFO = 19;
    private static final Credential ROOT = new Credential.Sys(1, "nfs-bench", 0, 0, new int[0]);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** An export mounted: where NFS answers and the export's root handle. */
    public record Mounted(InetSocketAddress nfs, byte[] root) {}

    private final RpcClient rpc;

    public NfsBenchSession(InetSocketAddress nfs) throws IOException {
        rpc = RpcClient.connect(nfs, TIMEOUT);
        rpc.credential(ROOT);
    }

    /** The TCP port of {@code program} {@code version} on {@code host}, from its portmapper. */
    public static int portOf(String host, int program, int version) throws IOException {
        try (RpcClient pmap = RpcClient.connect(new InetSocketAddress(host, 111), TIMEOUT)) {
            XdrReader r = results(pmap.call(PMAP_PROGRAM, PMAP_VERSION, PMAP_GETPORT,
                    w -> w.writeInt(program).writeInt(version).writeInt(IPPROTO_TCP).writeInt(0)), "GETPORT");
            int port = r.readInt();
            if (port == 0) {
                throw new IOException("program " + program + " v" + version + " is not registered with the portmapper of " + host);
            }
            return port;
        }
    }

    /** MOUNT v3 MNT of {@code export} on {@code host}, both found through the portmapper. */
    public static Mounted mount(String host, String export) throws IOException {
        int nfsPort = portOf(host, NFS_PROGRAM, NFS_VERSION);
        int mountPort = portOf(host, MOUNT_PROGRAM, MOUNT_VERSION);
        try (RpcClient mnt = RpcClient.connect(new InetSocketAddress(host, mountPort), TIMEOUT)) {
            mnt.credential(ROOT);
            XdrReader r = results(mnt.call(MOUNT_PROGRAM, MOUNT_VERSION, MOUNT_MNT, w -> w.writeString(export)), "MNT");
            check(r.readInt(), "MNT " + export);
            return new Mounted(new InetSocketAddress(host, nfsPort), r.readOpaque(64));
        }
    }

    /** user + system clock ticks of a process, all threads (fields 14 and 15 of /proc/PID/stat); 0 without a pid. */
    public static long cpuTicks(long pid) throws IOException {
        if (pid < 0) {
            return 0;
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14, 15 counted from "state" = field 3
    }

    private static XdrReader results(RpcReply reply, String what) throws IOException {
        if (!reply.success()) {
            throw new IOException(what + ": RPC failed: " + reply);
        }
        return reply.results();
    }

    private static void check(int status, String what) throws IOException {
        if (status != 0) {
            throw new IOException(what + ": NFS status " + status);
        }
    }

    private XdrReader call(int proc, String what, Consumer<XdrWriter> args) throws IOException {
        XdrReader r = results(rpc.call(NFS_PROGRAM, NFS_VERSION, proc, args), what);
        check(r.readInt(), what);
        return r;
    }

    /** CREATE UNCHECKED of an empty file; its handle. */
    public byte[] create(byte[] dir, String name) throws IOException {
        XdrReader r = call(CREATE, "CREATE " + name, w -> {
            w.writeOpaque(dir).writeString(name).writeInt(0); // UNCHECKED
            noAttributes(w);
        });
        return r.readBoolean() ? r.readOpaque(64) : lookup(dir, name);
    }

    public byte[] mkdir(byte[] dir, String name) throws IOException {
        XdrReader r = call(MKDIR, "MKDIR " + name, w -> {
            w.writeOpaque(dir).writeString(name);
            noAttributes(w);
        });
        return r.readBoolean() ? r.readOpaque(64) : lookup(dir, name);
    }

    public byte[] lookup(byte[] dir, String name) throws IOException {
        return call(LOOKUP, "LOOKUP " + name, w -> w.writeOpaque(dir).writeString(name)).readOpaque(64);
    }

    public void getattr(byte[] fh) throws IOException {
        call(GETATTR, "GETATTR", w -> w.writeOpaque(fh));
    }

    public void remove(byte[] dir, String name) throws IOException {
        call(REMOVE, "REMOVE " + name, w -> w.writeOpaque(dir).writeString(name));
    }

    public void rmdir(byte[] dir, String name) throws IOException {
        call(RMDIR, "RMDIR " + name, w -> w.writeOpaque(dir).writeString(name));
    }

    /** rtmax and wtmax from FSINFO (RFC 1813 §3.3.19), for the record. */
    public String fsinfo(byte[] root) throws IOException {
        XdrReader r = call(FSINFO, "FSINFO", w -> w.writeOpaque(root));
        if (r.readBoolean()) {
            r.skip(84); // fattr3
        }
        int rtmax = r.readInt();
        r.skip(8);
        int wtmax = r.readInt();
        return "rtmax=" + rtmax + " wtmax=" + wtmax;
    }

    /** sattr3 with nothing set: mode, uid, gid, size, atime, mtime. */
    private static void noAttributes(XdrWriter w) {
        w.writeBoolean(false).writeBoolean(false).writeBoolean(false).writeBoolean(false).writeInt(0).writeInt(0);
    }

    @Override
    public void close() { rpc.close(); }
}
