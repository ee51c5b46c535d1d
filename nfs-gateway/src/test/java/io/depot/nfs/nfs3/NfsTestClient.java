package io.depot.nfs.nfs3;

import io.depot.nfs.mount.Mount;
import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A minimal NFSv3 client over {@link RpcClient} for tests: each call returns its status and the parts tests look at. */
final class NfsTestClient implements AutoCloseable {
    final RpcClient rpc;

    NfsTestClient(InetSocketAddress server, InetSocketAddress local) throws IOException {
        rpc = local == null ? RpcClient.connect(server, Duration.ofSeconds(10)) : RpcClient.connect(server, local, Duration.ofSeconds(10));
        rpc.credential(new Credential.Sys(1, "test", 0, 0, new int[0]));
    }

    NfsTestClient as(int uid, int gid) {
        rpc.credential(new Credential.Sys(2, "test", uid, gid, new int[0]));
        return this;
    }

    /** MNT: the root handle, or null with the status in {@code lastStatus}. */
    byte[] mount(String path) throws IOException {
        XdrReader r = rpc.call(Mount.PROGRAM, 3, Mount.PROC_MNT, w -> w.writeString(path)).results();
        lastStatus = r.readInt();
        return lastStatus == 0 ? r.readOpaque(64) : null;
    }

    int lastStatus;

    XdrReader call(int proc, Consumer<XdrWriter> args) throws IOException {
        RpcReply reply = rpc.call(Nfs3.PROGRAM, 3, proc, args);
        if (!reply.success()) {
            throw new IOException("RPC failed: " + reply);
        }
        return reply.results();
    }

    /** fattr3 fields tests use. */
    record Attr(int type, int mode, int uid, long size, long fileid, long mtimeNanos) {}

    static Attr fattr(XdrReader r) {
        int type = r.readInt();
        int mode = r.readInt();
        r.readInt(); // nlink
        int uid = r.readInt();
        r.readInt(); // gid
        long size = r.readHyper();
        r.readHyper(); // used
        r.skip(8 + 8); // rdev, fsid
        long fileid = r.readHyper();
        r.skip(8); // atime
        long mtime = r.readUnsignedInt() * 1_000_000_000L + r.readUnsignedInt();
        r.skip(8); // ctime
        return new Attr(type, mode, uid, size, fileid, mtime);
    }

    static Attr postOp(XdrReader r) {
        return r.readBoolean() ? fattr(r) : null;
    }

    static void wcc(XdrReader r) {
        if (r.readBoolean()) {
            r.skip(24);
        }
        postOp(r);
    }

    static void sattrNone(XdrWriter w) {
        w.writeBoolean(false).writeBoolean(false).writeBoolean(false).writeBoolean(false).writeInt(0).writeInt(0);
    }

    Attr getattr(byte[] fh) throws IOException {
        XdrReader r = call(Nfs3.PROC_GETATTR, a -> a.writeOpaque(fh));
        lastStatus = r.readInt();
        return lastStatus == Nfs3.OK ? fattr(r) : null;
    }

    byte[] lookup(byte[] dir, String name) throws IOException {
        XdrReader r = call(Nfs3.PROC_LOOKUP, a -> a.writeOpaque(dir).writeString(name));
        lastStatus = r.readInt();
        return lastStatus == Nfs3.OK ? r.readOpaque(64) : null;
    }

    byte[] create(byte[] dir, String name) throws IOException {
        XdrReader r = call(Nfs3.PROC_CREATE, w -> {
            w.writeOpaque(dir).writeString(name).writeInt(Nfs3.UNCHECKED);
            sattrNone(w);
        });
        lastStatus = r.readInt();
        if (lastStatus != Nfs3.OK || !r.readBoolean()) {
            return null;
        }
        return r.readOpaque(64);
    }

    byte[] mkdir(byte[] dir, String name) throws IOException {
        XdrReader r = call(Nfs3.PROC_MKDIR, w -> {
            w.writeOpaque(dir).writeString(name);
            sattrNone(w);
        });
        lastStatus = r.readInt();
        if (lastStatus != Nfs3.OK || !r.readBoolean()) {
            return null;
        }
        return r.readOpaque(64);
    }

    int remove(byte[] dir, String name) throws IOException {
        return lastStatus = call(Nfs3.PROC_REMOVE, a -> a.writeOpaque(dir).writeString(name)).readInt();
    }

    /** SETATTR of the size alone (truncate or extend): the status. */
    int truncate(byte[] fh, long size) throws IOException {
        XdrReader r = call(Nfs3.PROC_SETATTR, a -> {
            a.writeOpaque(fh);
            a.writeBoolean(false).writeBoolean(false).writeBoolean(false); // mode, uid, gid
            a.writeBoolean(true).writeHyper(size);
            a.writeInt(0).writeInt(0); // atime, mtime: DONT_CHANGE
            a.writeBoolean(false); // no guard
        });
        return lastStatus = r.readInt();
    }

    record Written(int status, int count, int committed, long verifier) {}

    Written write(byte[] fh, long offset, byte[] data, int stable) throws IOException {
        XdrReader r = call(Nfs3.PROC_WRITE, a -> a.writeOpaque(fh).writeHyper(offset).writeInt(data.length).writeInt(stable).writeOpaque(data));
        int status = r.readInt();
        wcc(r);
        lastStatus = status;
        if (status != Nfs3.OK) {
            return new Written(status, 0, 0, 0);
        }
        return new Written(status, r.readInt(), r.readInt(), r.readHyper());
    }

    /** COMMIT: the verifier, with the status in {@code lastStatus}. */
    long commit(byte[] fh) throws IOException {
        XdrReader r = call(Nfs3.PROC_COMMIT, a -> a.writeOpaque(fh).writeHyper(0).writeInt(0));
        lastStatus = r.readInt();
        wcc(r);
        return lastStatus == Nfs3.OK ? r.readHyper() : 0;
    }

    byte[] read(byte[] fh, long offset, int count) throws IOException {
        XdrReader r = call(Nfs3.PROC_READ, a -> a.writeOpaque(fh).writeHyper(offset).writeInt(count));
        lastStatus = r.readInt();
        postOp(r);
        if (lastStatus != Nfs3.OK) {
            return null;
        }
        int n = r.readInt();
        r.readBoolean();
        return r.readOpaque(n);
    }

    /** READDIR names from the start, all pages. */
    List<String> list(byte[] dir) throws IOException {
        List<String> names = new ArrayList<>();
        long cookie = 0;
        long verf = 0;
        while (true) {
            long c = cookie;
            long v = verf;
            XdrReader r = call(Nfs3.PROC_READDIR, a -> a.writeOpaque(dir).writeHyper(c).writeHyper(v).writeInt(8192));
            lastStatus = r.readInt();
            postOp(r);
            if (lastStatus != Nfs3.OK) {
                return null;
            }
            verf = r.readHyper();
            while (r.readBoolean()) {
                r.readHyper();
                names.add(r.readString(1024));
                cookie = r.readHyper();
            }
            if (r.readBoolean()) {
                return names;
            }
        }
    }

    @Override
    public void close() { rpc.close(); }
}
