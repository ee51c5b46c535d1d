package io.depot.nfs.portmap;

import io.depot.nfs.rpc.RpcServer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes our programs findable through the portmapper, the way clients (QEMU's nfs driver,
 * mount.nfs, showmount) look them up. Decided once at start:
 *
 * <ol>
 *   <li>{@link Mode#EMBEDDED}: the portmapper port (111) is free, so we serve portmapper v2 on
 *       it ourselves, from our own {@link PortmapRegistry}.
 *   <li>{@link Mode#SYSTEM_RPCBIND}: the port is taken by a system rpcbind; we register each
 *       program with it (its Unix socket first, else PMAPPROC_SET over TCP from a reserved port)
 *       and unregister on {@link #close}.
 *   <li>{@link Mode#NONE}: neither worked; clients must be given our ports explicitly.
 * </ol>
 * Every outcome is logged in words an operator can act on.
 */
public final class PortAdvertiser implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PortAdvertiser.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    public enum Mode { EMBEDDED, SYSTEM_RPCBIND, NONE }

    /** A program version we serve on a TCP port. */
    public record Service(int program, int version, String name, int port) {}

    /** Where the portmapper lives and how to reach a system rpcbind. */
    public record Config(InetAddress bindAddress, int portmapperPort, Path rpcbindSocket) {
        public static Config defaults() {
            return new Config(null, Portmap.DEFAULT_PORT, Path.of(Portmap.RPCBIND_SOCKET));
        }
    }

    private final Mode mode;
    private final Config config;
    private final List<Service> registered;
    private final boolean viaSocket;
    private final PortmapRegistry registry;
    private final InetSocketAddress embeddedAddress;

    private PortAdvertiser(Mode mode, Config config, List<Service> registered, boolean viaSocket,
                           PortmapRegistry registry, InetSocketAddress embeddedAddress) {
        this.mode = mode;
        this.config = config;
        this.registered = registered;
        this.viaSocket = viaSocket;
        this.registry = registry;
        this.embeddedAddress = embeddedAddress;
    }

    /**
     * Advertises {@code services}. In embedded mode the portmapper program is registered with
     * {@code server} and {@code server} also listens on the portmapper port.
     */
    public static PortAdvertiser start(RpcServer server, List<Service> services, Config config) {
        String what = services.stream().map(s -> s.name() + " v" + s.version() + " on TCP port " + s.port())
                .distinct().collect(Collectors.joining(", "));
        InetSocketAddress pmapAddress = config.bindAddress() == null
                ? new InetSocketAddress(config.portmapperPort()) : new InetSocketAddress(config.bindAddress(), config.portmapperPort());
        PortmapRegistry registry = new PortmapRegistry();
        IOException bindFailure;
        server.register(PortmapProgram.create(registry));
        try {
            InetSocketAddress bound = server.listen(pmapAddress);
            registry.set(new Mapping(Portmap.PROGRAM, Portmap.VERSION, Portmap.IPPROTO_TCP, bound.getPort()));
            // rpcinfo, showmount and mount.nfs ask the portmapper over UDP first
            try {
                server.listenUdp(new InetSocketAddress(bound.getAddress(), bound.getPort()));
                registry.set(new Mapping(Portmap.PROGRAM, Portmap.VERSION, Portmap.IPPROTO_UDP, bound.getPort()));
            } catch (IOException e) {
                log.warn("Portmapper: UDP port {} is taken ({}); only TCP portmapper queries will be answered", bound.getPort(), e.getMessage());
            }
            for (Service s : services) {
                registry.set(new Mapping(s.program(), s.version(), Portmap.IPPROTO_TCP, s.port()));
            }
            log.info("Portmapper: port {} was free, so Depot answers portmapper (rpcbind version 2) queries itself on {}. "
                    + "Advertised: {}. Do not start the system rpcbind while Depot runs.", bound.getPort(), bound, what);
            return new PortAdvertiser(Mode.EMBEDDED, config, List.of(), false, registry, bound);
        } catch (IOException e) {
            bindFailure = e;
            server.dispatcher().unregister(Portmap.PROGRAM);
        }
        String bindWhy = bindFailure instanceof BindException && String.valueOf(bindFailure.getMessage()).contains("in use")
                ? "is already in use" : "cannot be opened (" + bindFailure.getMessage() + ")";

        // a system rpcbind: its Unix socket first (how it expects local registrations)...
        if (Files.exists(config.rpcbindSocket())) {
            try (RpcbindLocalClient c = RpcbindLocalClient.connect(config.rpcbindSocket(), TIMEOUT)) {
                List<Service> done = registerLocal(c, services);
                log.info("Portmapper: port {} {}; registered with the system rpcbind (through {}): {}. "
                        + "The registrations are removed when Depot stops.", config.portmapperPort(), bindWhy, config.rpcbindSocket(), what);
                return new PortAdvertiser(Mode.SYSTEM_RPCBIND, config, done, true, null, null);
            } catch (IOException e) {
                log.debug("rpcbind socket {} did not take our registrations", config.rpcbindSocket(), e);
            }
        }
        // ...else PMAPPROC_SET over TCP to the loopback address
        InetSocketAddress tcp = new InetSocketAddress(InetAddress.getLoopbackAddress(), config.portmapperPort());
        try (PortmapClient c = connectPortmapper(tcp)) {
            List<Service> done = new ArrayList<>();
            for (Service s : services) {
                Mapping m = new Mapping(s.program(), s.version(), Portmap.IPPROTO_TCP, s.port());
                if (!c.set(m)) {
                    int existing = c.getPort(s.program(), s.version(), Portmap.IPPROTO_TCP);
                    if (existing != s.port() && !listening(existing)) {
                        c.unset(s.program(), s.version()); // a stale entry from an earlier run
                    }
                    if (existing != s.port() && !c.set(m)) {
                        throw new IOException("the portmapper refused " + m + " (" + s.name() + " is registered for port " + existing + ")");
                    }
                }
                done.add(s);
            }
            log.info("Portmapper: port {} {}; registered with the portmapper there over TCP: {}. "
                    + "The registrations are removed when Depot stops.", config.portmapperPort(), bindWhy, what);
            return new PortAdvertiser(Mode.SYSTEM_RPCBIND, config, done, false, null, null);
        } catch (IOException e) {
            log.warn("Portmapper: port {} {}, and the program there does not accept our registrations ({}). "
                    + "Clients that look ports up through the portmapper (QEMU nfs://, mount.nfs without port=/mountport=, showmount) "
                    + "will not find Depot. Either stop what holds port {} so Depot can serve it, or run rpcbind "
                    + "(its socket {} must exist). Depot's services: {}.",
                    config.portmapperPort(), bindWhy, e.getMessage(), config.portmapperPort(), config.rpcbindSocket(), what);
            return new PortAdvertiser(Mode.NONE, config, List.of(), false, null, null);
        }
    }

    private static List<Service> registerLocal(RpcbindLocalClient c, List<Service> services) throws IOException {
        List<Service> done = new ArrayList<>();
        String owner = ownerName();
        for (Service s : services) {
            String uaddr = RpcbindLocalClient.universalAddress(InetAddress.getByAddress(new byte[4]), s.port());
            if (!c.set(s.program(), s.version(), "tcp", uaddr, owner)) {
                String existing = c.getAddr(s.program(), s.version(), "tcp");
                int port = portOf(existing);
                if (port == s.port()) {
                    done.add(s);
                    continue;
                }
                if (port > 0 && listening(port)) {
                    throw new IOException(s.name() + " v" + s.version() + " is already registered by another server at " + existing);
                }
                c.unset(s.program(), s.version(), "tcp", owner); // stale: nothing listens there any more
                if (!c.set(s.program(), s.version(), "tcp", uaddr, owner)) {
                    throw new IOException("rpcbind refused to register " + s.name() + " v" + s.version());
                }
            }
            done.add(s);
        }
        return done;
    }

    private static PortmapClient connectPortmapper(InetSocketAddress tcp) throws IOException {
        // rpcbind -L (and the old portmap) trust SET from 127.0.0.1 only from a reserved port
        for (int port = 1023; port >= 600; port--) {
            try {
                return PortmapClient.connect(tcp, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT);
            } catch (BindException e) {
                if (!String.valueOf(e.getMessage()).contains("in use")) {
                    break; // not root: no reserved port at all
                }
            }
        }
        return PortmapClient.connect(tcp, TIMEOUT);
    }

    /** Port of a universal address h1.h2.h3.h4.p1.p2, or 0. */
    static int portOf(String uaddr) {
        String[] parts = uaddr.split("\\.");
        if (parts.length < 3) {
            return 0;
        }
        try {
            return Integer.parseInt(parts[parts.length - 2]) * 256 + Integer.parseInt(parts[parts.length - 1]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String ownerName() {
        return String.valueOf(ProcessHandle.current().info().user().orElse("depot"));
    }

    public Mode mode() { return mode; }

    /** The embedded portmapper's registry (embedded mode only, else null). */
    public PortmapRegistry registry() { return registry; }

    /** Where the embedded portmapper listens (embedded mode only, else null). */
    public InetSocketAddress embeddedAddress() { return embeddedAddress; }

    /** Removes our registrations from a system rpcbind; the embedded one goes with the server. */
    @Override
    public void close() {
        if (mode != Mode.SYSTEM_RPCBIND || registered.isEmpty()) {
            return;
        }
        try {
            if (viaSocket) {
                try (RpcbindLocalClient c = RpcbindLocalClient.connect(config.rpcbindSocket(), TIMEOUT)) {
                    for (Service s : registered) {
                        c.unset(s.program(), s.version(), "tcp", ownerName());
                    }
                }
            } else {
                try (PortmapClient c = connectPortmapper(new InetSocketAddress(InetAddress.getLoopbackAddress(), config.portmapperPort()))) {
                    for (Service s : registered) {
                        c.unset(s.program(), s.version());
                    }
                }
            }
            log.info("Portmapper: removed Depot's registrations from the system rpcbind");
        } catch (IOException e) {
            log.warn("Portmapper: could not remove Depot's registrations from the system rpcbind ({}); "
                    + "they point at ports nothing listens on until Depot starts again", e.getMessage());
        }
    }
}
