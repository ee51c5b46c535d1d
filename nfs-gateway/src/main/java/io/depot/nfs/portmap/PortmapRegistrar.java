package io.depot.nfs.portmap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Portmapper v2 over TCP as a {@link Registrar}, for a portmapper without a Unix socket we can
 * reach (an rpcbind in this network namespace with its socket elsewhere, an old portmap, another
 * Depot's embedded one). v2 knows no owners and its UNSET removes TCP and UDP together.
 */
final class PortmapRegistrar implements Registrar {
    private final PortmapClient client;
    private final InetSocketAddress address;

    PortmapRegistrar(PortmapClient client, InetSocketAddress address) {
        this.client = client;
        this.address = address;
    }

    @Override
    public List<RpcbindEntry> dump() throws IOException {
        return client.dump().stream().map(RpcbindEntry::of).toList();
    }

    @Override
    public boolean set(RpcbindEntry e) throws IOException {
        int protocol = switch (e.netid()) {
            case "tcp" -> Portmap.IPPROTO_TCP;
            case "udp" -> Portmap.IPPROTO_UDP;
            default -> throw new IOException("portmapper v2 cannot register netid " + e.netid());
        };
        return client.set(new Mapping(e.program(), e.version(), protocol, e.port()));
    }

    @Override
    public boolean unset(RpcbindEntry e) throws IOException {
        return client.unset(e.program(), e.version());
    }

    @Override
    public boolean unsetTakesEveryTransport() {
        return true;
    }

    @Override
    public String describe() {
        return "the portmapper on " + address + " (portmapper v2 over TCP)";
    }

    @Override
    public void close() {
        client.close();
    }
}
