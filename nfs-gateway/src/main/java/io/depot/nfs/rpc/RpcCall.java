package io.depot.nfs.rpc;

import java.net.InetSocketAddress;

/**
 * The context a procedure handler gets: who called, which procedure, from where. The arguments
 * come separately as an {@link io.depot.nfs.xdr.XdrReader}.
 */
public record RpcCall(int xid, int program, int version, int procedure, Credential credential,
                      InetSocketAddress remote) {
    @Override
    public String toString() {
        return "xid=0x" + Integer.toHexString(xid) + " " + program + "/" + version + "/" + procedure
                + " from " + remote + " " + credential;
    }
}
