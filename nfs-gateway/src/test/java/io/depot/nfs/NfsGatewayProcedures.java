package io.depot.nfs;

import io.depot.nfs.nfs3.Nfs3;
import io.depot.nfs.rpc.RpcProcedure;
import io.depot.nfs.rpc.RpcProgram;

/**
 * Test-side hooks into a running {@link NfsGateway}, for benchmarks: not part of the gateway's API.
 */
public final class NfsGatewayProcedures {
    private NfsGatewayProcedures() {}

    /**
     * Replaces one NFSv3 procedure while serving (calls already running finish with the old one):
     * {@code NfsBenchServer --null-read} measures what a READ that costs nothing would give.
     */
    public static void replaceNfsProcedure(NfsGateway gateway, RpcProcedure replacement) {
        RpcProgram replaced = gateway.nfsProgram().program().withProcedure(Nfs3.VERSION, replacement);
        gateway.rpcServer().dispatcher().unregister(Nfs3.PROGRAM);
        gateway.rpcServer().dispatcher().register(replaced);
    }
}
