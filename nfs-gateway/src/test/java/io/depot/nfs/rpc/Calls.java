package io.depot.nfs.rpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Builds raw call records byte by byte, including malformed ones. */
final class Calls {
    private Calls() {}

    static byte[] authSysBody(int uid, int gid, int gidCount, int nameLength) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(12345).writeInt(nameLength).writeZero((nameLength + 3) & ~3).writeInt(uid).writeInt(gid).writeInt(gidCount);
        for (int i = 0; i < gidCount; i++) {
            b.writeInt(100 + i);
        }
        return bytes(b);
    }

    static byte[] call(int xid, int rpcvers, int prog, int vers, int proc, int credFlavor, byte[] cred,
                       int verfFlavor, byte[] verf, byte[] args) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(xid).writeInt(Rpc.CALL).writeInt(rpcvers).writeInt(prog).writeInt(vers).writeInt(proc);
        b.writeInt(credFlavor).writeInt(cred.length).writeBytes(cred).writeZero(((cred.length + 3) & ~3) - cred.length);
        b.writeInt(verfFlavor).writeInt(verf.length).writeBytes(verf).writeZero(((verf.length + 3) & ~3) - verf.length);
        b.writeBytes(args);
        return bytes(b);
    }

    static byte[] call(int xid, int prog, int vers, int proc, byte[] args) {
        return call(xid, Rpc.VERSION, prog, vers, proc, Rpc.AUTH_NONE, new byte[0], Rpc.AUTH_NONE, new byte[0], args);
    }

    static byte[] sysCall(int xid, int prog, int vers, int proc, byte[] args) {
        return call(xid, Rpc.VERSION, prog, vers, proc, Rpc.AUTH_SYS, authSysBody(1000, 1000, 2, 5), Rpc.AUTH_NONE, new byte[0], args);
    }

    static byte[] ints(int... values) {
        ByteBuf b = Unpooled.buffer();
        for (int v : values) {
            b.writeInt(v);
        }
        return bytes(b);
    }

    static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }
}
