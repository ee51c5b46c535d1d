package io.depot.nfs;

import io.depot.nfs.mount.Mount;
import io.depot.nfs.mount.MountList;
import io.depot.nfs.mount.MountProgram;
import io.depot.nfs.mount.TestExports;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.RpcServer;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A gateway with MOUNT only, for the interop scenarios run in a private network namespace:
 * MOUNT v1 and v3 on a TCP port and v3 on the UDP port of the same number, all advertised through
 * the portmapper; prints "READY mode=... mount=PORT advertised=N", serves until its standard
 * input closes, then shuts down (removing registrations from a system rpcbind) and prints "CLOSED".
 */
public final class InteropServerMain {
    public static void main(String[] args) throws Exception {
        try (RpcServer server = RpcServer.builder().ioThreads(2).build()) {
            server.register(new MountProgram(new TestExports(), new MountList(100)).program());
            int port = server.listen(new InetSocketAddress(0)).getPort();
            server.listenUdp(new InetSocketAddress(port));
            List<PortAdvertiser.Service> services = List.of(
                    new PortAdvertiser.Service(Mount.PROGRAM, 1, "mount", port),
                    new PortAdvertiser.Service(Mount.PROGRAM, 3, "mount", port),
                    new PortAdvertiser.Service(Mount.PROGRAM, 3, "mount", port, PortAdvertiser.Transport.UDP));
            try (PortAdvertiser adv = PortAdvertiser.start(server, services, PortAdvertiser.Config.defaults())) {
                System.out.println("READY mode=" + adv.mode() + " mount=" + port + " advertised=" + adv.advertised().size());
                System.out.flush();
                while (System.in.read() >= 0) {
                    // serve until the test closes our input
                }
            }
        }
        System.out.println("CLOSED");
        System.out.flush();
    }
}
