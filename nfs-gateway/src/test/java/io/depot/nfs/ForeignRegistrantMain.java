package io.depot.nfs;

import io.depot.nfs.portmap.RpcbindEntry;
import io.depot.nfs.portmap.RpcbindLocalClient;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Another NFS server as the system rpcbind sees it (what nfs-ganesha or the kernel's nfsd with
 * mountd register, as root through rpcbind's Unix socket): listens on a TCP port and registers
 * NFS v3 and MOUNT v3 there, with no Depot ledger behind them. Prints "READY port=P" and runs
 * until killed, or until the process that started it ends (the scenario script kills the subshell
 * it runs under, not this JVM). For the portmapper interop scenarios, run in a network namespace
 * of its own.
 */
public final class ForeignRegistrantMain {
    public static void main(String[] args) throws Exception {
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(0)));
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(new InetSocketAddress(0));
            int port = listener.getLocalPort();
            String uaddr = "0.0.0.0." + (port >> 8) + "." + (port & 0xff);
            try (RpcbindLocalClient rpcbind = RpcbindLocalClient.connect(Path.of(args.length > 0 ? args[0] : "/run/rpcbind.sock"), Duration.ofSeconds(5))) {
                for (int[] pv : new int[][] {{100003, 3}, {100005, 3}}) {
                    if (!rpcbind.set(new RpcbindEntry(pv[0], pv[1], "tcp", uaddr, ""))) {
                        throw new IllegalStateException("rpcbind refused " + pv[0] + " v" + pv[1]);
                    }
                }
            }
            System.out.println("READY port=" + port);
            System.out.flush();
            while (true) {
                listener.accept().close();
            }
        }
    }
}
