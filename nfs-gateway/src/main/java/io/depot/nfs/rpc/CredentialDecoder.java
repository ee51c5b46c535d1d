package io.depot.nfs.rpc;

import io.depot.nfs.xdr.XdrDecodeException;
import io.depot.nfs.xdr.XdrReader;
import io.netty.buffer.Unpooled;

/** Turns the opaque_auth of a call into a {@link Credential}, or refuses it with an auth_stat. */
final class CredentialDecoder {
    private CredentialDecoder() {}

    static Credential decode(int flavor, byte[] body) {
        return switch (flavor) {
            case Rpc.AUTH_NONE -> Credential.None.INSTANCE;
            case Rpc.AUTH_SYS -> decodeSys(body);
            // AUTH_SHORT, AUTH_DH, RPCSEC_GSS...: not spoken here. Linux answers an unknown
            // flavor with AUTH_BADCRED too (AUTH_TOOWEAK is for a known flavor a program refuses).
            default -> throw RpcErrorException.authError(Rpc.AUTH_BADCRED, "credential flavor " + flavor + " is not supported");
        };
    }

    /** authsys_parms (RFC 5531 Appendix A); the body must hold exactly one, nothing after. */
    private static Credential.Sys decodeSys(byte[] body) {
        XdrReader r = new XdrReader(Unpooled.wrappedBuffer(body));
        try {
            int stamp = r.readInt();
            String machine = r.readString(Rpc.MAX_MACHINE_NAME);
            int uid = r.readInt();
            int gid = r.readInt();
            int n = r.readArrayLength(Rpc.MAX_AUX_GIDS, 4);
            int[] gids = new int[n];
            for (int i = 0; i < n; i++) {
                gids[i] = r.readInt();
            }
            r.expectEnd();
            return new Credential.Sys(stamp, machine, uid, gid, gids);
        } catch (XdrDecodeException e) {
            throw RpcErrorException.authError(Rpc.AUTH_BADCRED, "malformed AUTH_SYS credential: " + e.getMessage());
        }
    }
}
