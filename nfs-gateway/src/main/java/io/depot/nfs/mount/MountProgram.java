package io.depot.nfs.mount;

import io.depot.nfs.rpc.RpcCall;
import io.depot.nfs.rpc.RpcProgram;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.net.InetAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MOUNT program (RFC 1813 Appendix I) over an {@link ExportTable}. Version 3 in full;
 * versions 1 and 2 for NULL, DUMP, UMNT, UMNTALL and EXPORT only, whose encodings are the same
 * (showmount asks version 1). MNT of versions 1 and 2 hands out NFSv2 handles, which we do not
 * serve: PROC_UNAVAIL.
 *
 * <p>Clients are recorded by IP address (no reverse DNS lookup on the request path).
 */
public final class MountProgram {
    private static final Logger log = LoggerFactory.getLogger(MountProgram.class);

    private final ExportTable exports;
    private final MountList mounts;

    public MountProgram(ExportTable exports, MountList mounts) {
        this.exports = exports;
        this.mounts = mounts;
    }

    public MountList mounts() { return mounts; }

    public RpcProgram program() {
        RpcProgram.Builder b = RpcProgram.builder(Mount.PROGRAM, "mount");
        for (int v = 1; v <= 3; v++) {
            b.procedure(v, Mount.PROC_NULL, "NULL", (call, args, res) -> args.expectEnd());
            b.procedure(v, Mount.PROC_DUMP, "DUMP", this::dump);
            b.procedure(v, Mount.PROC_UMNT, "UMNT", this::umnt);
            b.procedure(v, Mount.PROC_UMNTALL, "UMNTALL", this::umntall);
            b.procedure(v, Mount.PROC_EXPORT, "EXPORT", this::export);
        }
        b.procedure(3, Mount.PROC_MNT, "MNT", this::mnt);
        return b.build();
    }

    private static String host(RpcCall call) {
        return call.remote().getAddress().getHostAddress();
    }

    /** MOUNTPROC3_MNT: dirpath -> mountres3 {status; union ok: fhandle3, auth_flavors<>}. */
    private void mnt(RpcCall call, XdrReader args, XdrWriter res) {
        String path = readPath(args);
        if (path == null) {
            res.writeInt(MountStatus.NAMETOOLONG.code());
            return;
        }
        args.expectEnd();
        InetAddress client = call.remote().getAddress();
        Export export = exports.find(path);
        String below = null; // a subdirectory of an export, relative to it
        if (export == null) {
            export = exports.findContaining(path);
            if (export != null) {
                below = export.path().equals("/") ? path : path.substring(export.path().length());
            }
        }
        if (export == null) {
            log.info("mount of {} by {} refused: no such export", path, host(call));
            res.writeInt(MountStatus.NOENT.code());
            return;
        }
        if (!exports.allows(export, client)) {
            log.info("mount of {} by {} refused by the export's client rules", path, host(call));
            res.writeInt(MountStatus.ACCES.code());
            return;
        }
        byte[] handle = below == null ? exports.rootHandle(export) : exports.directoryHandle(export, below);
        if (handle == null) {
            log.info("mount of {} by {} refused: no such directory in export {}", path, host(call), export.path());
            res.writeInt(MountStatus.NOENT.code());
            return;
        }
        if (handle.length > Mount.FHSIZE3) {
            throw new IllegalStateException("root handle of " + path + " is " + handle.length + " bytes");
        }
        mounts.add(host(call), below == null ? export.path() : path);
        res.writeInt(MountStatus.OK.code());
        res.writeOpaque(handle);
        int[] flavors = exports.authFlavors(export);
        res.writeInt(flavors.length);
        for (int f : flavors) {
            res.writeInt(f);
        }
    }

    /** dirpath<MNTPATHLEN>; null when longer than the limit (answered with NAMETOOLONG). */
    private static String readPath(XdrReader args) {
        long n = args.buffer().readableBytes() >= 4 ? args.buffer().getUnsignedInt(args.buffer().readerIndex()) : 0;
        if (n > Mount.MNTPATHLEN) {
            return null;
        }
        return args.readString(Mount.MNTPATHLEN);
    }

    /** MOUNTPROC3_UMNT: dirpath -> void. */
    private void umnt(RpcCall call, XdrReader args, XdrWriter res) {
        String path = args.readString(Mount.MNTPATHLEN);
        args.expectEnd();
        mounts.remove(host(call), path);
    }

    /** MOUNTPROC3_UMNTALL: void -> void. */
    private void umntall(RpcCall call, XdrReader args, XdrWriter res) {
        args.expectEnd();
        mounts.removeAll(host(call));
    }

    /** MOUNTPROC3_DUMP: void -> mountlist (optional-data list of {hostname, directory}). */
    private void dump(RpcCall call, XdrReader args, XdrWriter res) {
        args.expectEnd();
        for (MountList.Entry e : mounts.entries()) {
            res.writeBoolean(true).writeString(e.host()).writeString(e.path());
        }
        res.writeBoolean(false);
    }

    /** MOUNTPROC3_EXPORT: void -> exports (list of {dir, groups list of names}). */
    private void export(RpcCall call, XdrReader args, XdrWriter res) {
        args.expectEnd();
        for (Export e : exports.all()) {
            res.writeBoolean(true).writeString(e.path());
            List<String> clients = e.clients();
            for (String c : clients) {
                res.writeBoolean(true).writeString(c);
            }
            res.writeBoolean(false);
        }
        res.writeBoolean(false);
    }
}
