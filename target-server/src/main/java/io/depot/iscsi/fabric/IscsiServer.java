package io.depot.iscsi.fabric;

import io.depot.iscsi.fabric.login.TargetLimits;
import io.depot.iscsi.fabric.pdu.PduDecoder;
import io.depot.iscsi.fabric.pdu.PduEncoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iSCSI target server: listens on one portal, logs initiators in to the targets of a
 * {@link TargetRegistry}, and runs their SCSI commands on I/O worker threads (virtual threads:
 * each command may block on the disk or a group commit without holding a platform thread).
 */
public final class IscsiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiServer.class);
    /** Login PDUs carry at most 8192 data bytes until MaxRecvDataSegmentLength is negotiated (RFC 7143 §13.12). */
    private static final int LOGIN_SEGMENT_LIMIT = 8192;

    private final TargetRegistry targets;
    private final IscsiSettings settings;
    private final SessionRegistry sessions;
    private final SecureRandom random = new SecureRandom();
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("iscsi-io-", 0).factory());
    private final Set<IscsiConnection> connections = ConcurrentHashMap.newKeySet();
    private volatile CommandObservers commandObservers = CommandObservers.NONE;
    /** Observers by opcode, resolved on first use (a benign race: a second resolve gives an equal observer). */
    private volatile CommandObserver[] byOpcode = new CommandObserver[256];
    private EventLoopGroup bossGroup;
    private EventLoopGroup ioGroup;
    private Channel listener;

    public IscsiServer(TargetRegistry targets, IscsiSettings settings) {
        this.targets = targets;
        this.settings = settings;
        this.sessions = new SessionRegistry(settings.maxSessions());
        targets.setPortals(this::portals);
    }

    /** Binds the portal; throws with a clear message when the address is taken. */
    public IscsiServer start() {
        bossGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ioGroup = new MultiThreadIoEventLoopGroup(0, NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        PduDecoder decoder = new PduDecoder(LOGIN_SEGMENT_LIMIT);
                        PduEncoder encoder = new PduEncoder();
                        IscsiConnection connection = new IscsiConnection(IscsiServer.this, decoder, encoder);
                        connections.add(connection);
                        ch.pipeline()
                                // completions arrive one event-loop task each; coalesce their flushes into one write
                                .addLast("flush", new FlushConsolidationHandler(256, true))
                                .addLast("idle", new IdleStateHandler(settings.nopInterval().toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                                .addLast("decoder", decoder)
                                .addLast("encoder", encoder)
                                .addLast("iscsi", connection);
                    }
                });
        try {
            listener = b.bind(settings.portal()).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the checked BindException as is
            close();
            throw new IllegalStateException("cannot listen for iSCSI on " + settings.portal() + ": " + e.getMessage()
                    + " (is another target, such as tgtd or LIO, using the port?)", e);
        }
        log.info("iSCSI target listening on {} with {} target(s)", listener.localAddress(), targets.list().size());
        return this;
    }

    /** The bound address (the real port when the settings asked for port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    public TargetRegistry targets() { return targets; }

    IscsiSettings settings() { return settings; }

    SessionRegistry sessions() { return sessions; }

    SecureRandom random() { return random; }

    ExecutorService workers() { return workers; }

    TargetLimits limits() {
        return new TargetLimits(settings.maxRecvDataSegmentLength(), settings.maxBurstLength(), settings.firstBurstLength(),
                settings.maxOutstandingR2T(), 1, null);
    }

    void connectionClosed(IscsiConnection c) {
        connections.remove(c);
    }

    /** Reports every answered SCSI command to an observer for its opcode (the appliance's metrics). */
    public void observeCommands(CommandObservers observers) {
        commandObservers = observers;
        byOpcode = new CommandObserver[256];
    }

    CommandObserver commandObserver(int opcode) {
        CommandObserver[] table = byOpcode;
        CommandObserver o = table[opcode & 0xff];
        if (o == null) {
            o = commandObservers.forOpcode(opcode & 0xff);
            table[opcode & 0xff] = o;
        }
        return o;
    }

    /** Open TCP connections, in login or logged in. */
    public int connectionCount() { return connections.size(); }

    /** Logged-in normal sessions (discovery sessions not counted). */
    public int sessionCount() {
        int n = 0;
        for (IscsiSession s : sessions.list()) {
            if (!s.isDiscovery()) {
                n++;
            }
        }
        return n;
    }

    /** Sessions logged in right now (for the API and tests). */
    public List<SessionInfo> sessionsInfo() {
        List<SessionInfo> out = new ArrayList<>();
        for (IscsiSession s : sessions.list()) {
            out.add(new SessionInfo(s.key.initiatorName(), s.key.isid(), s.key.targetName(), s.tsih()));
        }
        return out;
    }

    /** Drops every session logged in to a target (the target is being deleted). */
    public void dropSessions(String targetName) {
        for (IscsiSession s : sessions.list()) {
            if (s.target != null && s.target.name().equals(targetName) && s.connection() != null) {
                s.connection().drop();
            }
        }
    }

    /**
     * Aborts the tasks of some nexuses on one LUN (PREEMPT AND ABORT, SPC-4 §5.9.11.5); completes
     * when they have all stopped.
     */
    public java.util.concurrent.CompletableFuture<Void> abortTasks(Set<io.depot.iscsi.scsi.ItNexus> nexuses, long lun) {
        List<java.util.concurrent.CompletableFuture<Void>> waits = new ArrayList<>();
        for (IscsiSession s : sessions.list()) {
            if (s.nexus != null && nexuses.contains(s.nexus) && s.connection() != null) {
                waits.add(s.connection().abortTasks(t -> t.lun == lun, "PREEMPT AND ABORT"));
            }
        }
        return java.util.concurrent.CompletableFuture.allOf(waits.toArray(java.util.concurrent.CompletableFuture[]::new));
    }

    /** One logged-in session as the outside world sees it. */
    public record SessionInfo(String initiatorName, long isid, String targetName, int tsih) {}

    /** SendTargets addresses: the bound address, or every local address when bound to the wildcard. */
    private List<String> portals() {
        if (listener == null) {
            return List.of();
        }
        InetSocketAddress a = address();
        String suffix = ":" + a.getPort() + "," + settings.portalGroupTag();
        if (!a.getAddress().isAnyLocalAddress()) {
            return List.of(hostString(a.getAddress()) + suffix);
        }
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (InetAddress addr : Collections.list(nif.getInetAddresses())) {
                    if (!addr.isLinkLocalAddress()) {
                        out.add(hostString(addr) + suffix);
                    }
                }
            }
        } catch (SocketException e) {
            log.warn("cannot list network interfaces for SendTargets: {}", e.toString());
        }
        return out;
    }

    private static String hostString(InetAddress addr) {
        String h = addr.getHostAddress();
        int scope = h.indexOf('%');
        if (scope >= 0) {
            h = h.substring(0, scope);
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        for (IscsiConnection c : connections) {
            c.drop();
        }
        if (ioGroup != null) {
            ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        workers.shutdown();
        try {
            workers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
