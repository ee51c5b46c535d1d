package io.depot.nfs.portmap;

import io.depot.nfs.rpc.RpcServer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes our programs findable through the portmapper, the way clients (QEMU's nfs driver,
 * mount.nfs, showmount, a client's lockd and statd) look them up. Decided once at start:
 *
 * <ol>
 *   <li>{@link Mode#EMBEDDED}: the portmapper port (111) is free, so we serve portmapper v2 on
 *       it ourselves, from our own {@link PortmapRegistry}.
 *   <li>{@link Mode#SYSTEM_RPCBIND}: the port is taken by a system rpcbind; we register each
 *       program with it (its Unix socket first, else PMAPPROC_SET over TCP from a reserved port)
 *       and unregister on {@link #close}. Another server's entries are never replaced or removed
 *       ({@link SystemRegistration}); a service whose slot another server holds is not advertised.
 *   <li>{@link Mode#NONE}: nothing could be registered; clients must be given our ports explicitly.
 * </ol>
 * Every outcome is logged in words an operator can act on.
 */
public final class PortAdvertiser implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PortAdvertiser.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    public enum Mode { EMBEDDED, SYSTEM_RPCBIND, NONE }

    /** The transport a service listens on, as the portmapper names it. */
    public enum Transport {
        TCP("tcp", Portmap.IPPROTO_TCP), UDP("udp", Portmap.IPPROTO_UDP);

        private final String netid;
        private final int protocol;

        Transport(String netid, int protocol) {
            this.netid = netid;
            this.protocol = protocol;
        }

        /** rpcbind's netid: "tcp" or "udp". */
        public String netid() { return netid; }

        /** Portmapper v2's protocol number: IPPROTO_TCP or IPPROTO_UDP. */
        public int protocol() { return protocol; }
    }

    /** A program version we serve on a port of a transport. */
    public record Service(int program, int version, String name, int port, Transport transport) {
        /** A service on TCP. */
        public Service(int program, int version, String name, int port) {
            this(program, version, name, port, Transport.TCP);
        }

        @Override
        public String toString() {
            return name + " v" + version + " on " + transport + " port " + port;
        }
    }

    /**
     * Where the portmapper lives, how to reach a system rpcbind, and the {@link RegistrationLedger}
     * file that proves which of its entries a killed Depot left (default: beside the socket).
     */
    public record Config(InetAddress bindAddress, int portmapperPort, Path rpcbindSocket, Path registrationLedger) {
        public Config(InetAddress bindAddress, int portmapperPort, Path rpcbindSocket) {
            this(bindAddress, portmapperPort, rpcbindSocket, rpcbindSocket.resolveSibling("depot-rpcbind-registrations"));
        }

        public static Config defaults() {
            return new Config(null, Portmap.DEFAULT_PORT, Path.of(Portmap.RPCBIND_SOCKET));
        }
    }

    private final Mode mode;
    private final Connector reconnect;
    private final SystemRegistration registration;
    private final RegistrationLedger ledger;
    private final PortmapRegistry registry;
    private final InetSocketAddress embeddedAddress;
    private final List<Service> advertised;

    private PortAdvertiser(Mode mode, Connector reconnect, SystemRegistration registration, RegistrationLedger ledger,
                           PortmapRegistry registry, InetSocketAddress embeddedAddress, List<Service> advertised) {
        this.mode = mode;
        this.reconnect = reconnect;
        this.registration = registration;
        this.ledger = ledger;
        this.registry = registry;
        this.embeddedAddress = embeddedAddress;
        this.advertised = advertised;
    }

    /**
     * Advertises {@code services}. In embedded mode the portmapper program is registered with
     * {@code server} and {@code server} also listens on the portmapper port.
     */
    public static PortAdvertiser start(RpcServer server, List<Service> services, Config config) {
        String what = services.stream().map(Service::toString).distinct().collect(Collectors.joining(", "));
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
                registry.set(new Mapping(s.program(), s.version(), s.transport().protocol(), s.port()));
            }
            log.info("Portmapper: port {} was free, so Depot answers portmapper (rpcbind version 2) queries itself on {}. "
                    + "Advertised: {}. Do not start the system rpcbind while Depot runs.", bound.getPort(), bound, what);
            return new PortAdvertiser(Mode.EMBEDDED, null, null, null, registry, bound, List.copyOf(services));
        } catch (IOException e) {
            bindFailure = e;
            server.dispatcher().unregister(Portmap.PROGRAM);
        }
        String bindWhy = bindFailure instanceof BindException && String.valueOf(bindFailure.getMessage()).contains("in use")
                ? "is already in use" : "cannot be opened (" + bindFailure.getMessage() + ")";

        // a system rpcbind: its Unix socket first (how it expects local registrations)...
        InetSocketAddress tcp = new InetSocketAddress(InetAddress.getLoopbackAddress(), config.portmapperPort());
        if (Files.exists(config.rpcbindSocket()) && socketLeadsToOurPortmapper(config, tcp)) {
            PortAdvertiser a = registerWithSystem(config, bindWhy, services, what,
                    () -> RpcbindLocalClient.connect(config.rpcbindSocket(), TIMEOUT), RegistrationLedger.viaSocket(config.rpcbindSocket()));
            if (a != null) {
                return a;
            }
        }
        // ...else PMAPPROC_SET over TCP to the loopback address
        PortAdvertiser a = registerWithSystem(config, bindWhy, services, what,
                () -> new PortmapRegistrar(connectPortmapper(tcp), tcp), RegistrationLedger.viaTcp(config.portmapperPort()));
        if (a != null) {
            return a;
        }
        log.warn("Portmapper: port {} {}, and neither {} nor a portmapper on that port accepts our registrations. "
                + "Clients that look ports up through the portmapper (QEMU nfs://, mount.nfs without port=/mountport=, showmount, "
                + "a client's lockd) will not find Depot. Either stop what holds port {} so Depot can serve it, or run rpcbind. "
                + "Depot's services: {}.", config.portmapperPort(), bindWhy, config.rpcbindSocket(), config.portmapperPort(), what);
        return new PortAdvertiser(Mode.NONE, null, null, null, null, null, List.of());
    }

    /** False when the socket's rpcbind is not the portmapper on our port (another network namespace's), said in a log line. */
    private static boolean socketLeadsToOurPortmapper(Config config, InetSocketAddress tcp) {
        try (RpcbindLocalClient c = RpcbindLocalClient.connect(config.rpcbindSocket(), TIMEOUT)) {
            if (RpcbindProbe.sameRpcbind(c, tcp, TIMEOUT)) {
                return true;
            }
            log.info("Portmapper: the rpcbind behind {} is not the portmapper on port {} of Depot's network namespace (its socket "
                    + "leads to another namespace's); Depot registers with the one on port {}, which its clients ask",
                    config.rpcbindSocket(), config.portmapperPort(), config.portmapperPort());
            return false;
        } catch (IOException e) {
            return true; // the registration through the socket fails the same way, and says so
        }
    }

    /** A connection to a system portmapper that may fail. */
    private interface Connector {
        Registrar connect() throws IOException;
    }

    /** Registers through {@code connector}; null when that portmapper cannot be talked to at all. */
    private static PortAdvertiser registerWithSystem(Config config, String bindWhy, List<Service> services, String what,
                                                     Connector connector, String via) {
        List<SystemRegistration.Wanted> wanted = services.stream()
                .map(s -> new SystemRegistration.Wanted(s, new RpcbindEntry(s.program(), s.version(), s.transport().netid(),
                        RpcbindEntry.wildcard(s.port()), "")))
                .distinct().toList();
        RegistrationLedger ledger = null;
        SystemRegistration reg;
        String where;
        try (Registrar r = connector.connect()) {
            where = r.describe();
            ledger = RegistrationLedger.claim(config.registrationLedger(), via);
            reg = SystemRegistration.register(r, ledger, wanted);
        } catch (IOException e) {
            log.debug("Portmapper: {} did not take our registrations", via, e);
            if (ledger != null) {
                ledger.release(); // its record may still describe a killed Depot's entries there
            }
            return null;
        }
        List<Service> advertised = wanted.stream()
                .filter(w -> reg.registered().stream().anyMatch(w.entry()::sameSlot)).map(SystemRegistration.Wanted::service).toList();
        if (!reg.refusals().isEmpty()) {
            log.warn("Portmapper: with {}, {}. Clients that look these up through the portmapper find the other server; "
                    + "stop the other server, or give Depot its own network namespace (where port {} is free, Depot serves "
                    + "the portmapper itself).", where, String.join("; ", reg.refusals()), config.portmapperPort());
        }
        if (!ledger.held()) {
            log.info("Portmapper: {}, so if Depot is killed its registrations stay in {} until removed by hand (rpcinfo -d)",
                    ledger.whyNotHeld(), where);
        }
        if (advertised.isEmpty()) {
            ledger.close();
            return new PortAdvertiser(Mode.NONE, null, null, null, null, null, List.of());
        }
        log.info("Portmapper: port {} {}; registered with {}: {}. The registrations are removed when Depot stops.",
                config.portmapperPort(), bindWhy, where, advertised.stream().map(Service::toString).collect(Collectors.joining(", ")));
        return new PortAdvertiser(Mode.SYSTEM_RPCBIND, connector, reg, ledger, null, null, advertised);
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

    public Mode mode() { return mode; }

    /** The services clients can find through the portmapper (those another server holds are not among them). */
    public List<Service> advertised() { return advertised; }

    /** The embedded portmapper's registry (embedded mode only, else null). */
    public PortmapRegistry registry() { return registry; }

    /** Where the embedded portmapper listens (embedded mode only, else null). */
    public InetSocketAddress embeddedAddress() { return embeddedAddress; }

    /** Removes our registrations (only ours) from a system rpcbind; the embedded one goes with the server. */
    @Override
    public void close() {
        if (mode != Mode.SYSTEM_RPCBIND) {
            return;
        }
        try (Registrar r = reconnect.connect()) {
            List<String> left = registration.unregister(r);
            if (left.isEmpty()) {
                log.info("Portmapper: removed Depot's registrations from {}", r.describe());
            } else {
                log.warn("Portmapper: removed Depot's registrations from {} except: {}", r.describe(), String.join("; ", left));
            }
            ledger.close();
        } catch (IOException e) {
            // the ledger stays held until we exit, then proves these stale to the next Depot
            log.warn("Portmapper: could not remove Depot's registrations ({}); "
                    + "they point at ports nothing listens on until Depot starts again", e.getMessage());
        }
    }
}
