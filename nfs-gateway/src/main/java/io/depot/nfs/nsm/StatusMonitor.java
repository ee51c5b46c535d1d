package io.depot.nfs.nsm;

import io.depot.engine.Catalog;
import io.depot.engine.StorageIoException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Depot's network status monitor: which client hosts hold monitored locks (kept in the pool, so
 * that they can be told when Depot restarts), Depot's own NSM state number, and what happens when
 * a client reports that it rebooted. The lock manager drives it through plain methods:
 *
 * <pre>{@code
 * StatusMonitor nsm = StatusMonitor.open(pool.catalog());
 * nsm.onReboot(callerName -> nlm.hostRebooted(callerName));   // a client restarted: free its locks
 * nsm.monitor(callerName, clientAddress);                      // before acknowledging a monitored lock
 * nsm.hostsToReclaim();                                        // who may reclaim in the grace period
 * }</pre>
 *
 * <p>The protocol side (NSM's RPC procedures) is {@link StatusMonitorProgram}; telling the hosts
 * of this start is {@link RebootNotifier}.
 *
 * <p>Durability: {@link #monitor} returns only once the host's record is durable, so a lock the
 * lock manager acknowledges after it always belongs to a host that will be told of a restart. The
 * record is staged and shares the pool's next commit; a host already recorded this run costs
 * nothing. A crash between staging and the commit loses the record, but then the lock's reply
 * was never sent, so the client re-sends the lock request to the restarted Depot.
 */
public final class StatusMonitor {
    private static final Logger log = LoggerFactory.getLogger(StatusMonitor.class);

    private final NsmStore store;
    private final Set<String> toReclaim;
    private final List<Consumer<String>> rebootListeners = new CopyOnWriteArrayList<>();
    /** Hosts recorded since this start, by key, with the ticket that makes their record durable. */
    private final Map<String, Recorded> monitored = new HashMap<>();
    /** Hosts recorded before this start and not yet told of it (nor re-recorded, nor rebooted). */
    private final Map<String, MonitoredHost> toNotify = new LinkedHashMap<>();
    private volatile int state;

    private record Recorded(MonitoredHost host, long ticket) {}

    private StatusMonitor(NsmStore store, int state, List<MonitoredHost> before) {
        this.store = store;
        this.state = state;
        Set<String> names = new LinkedHashSet<>();
        for (MonitoredHost h : before) {
            toNotify.put(h.key(), h);
            names.add(h.callerName());
        }
        this.toReclaim = Set.copyOf(names);
    }

    /**
     * Opens the status monitor of a pool: reads the hosts recorded by earlier runs and stores the
     * state number of this start (durably, before returning).
     */
    public static StatusMonitor open(Catalog catalog) {
        NsmStore store = new NsmStore(catalog);
        List<MonitoredHost> before = store.hosts();
        int state = store.advanceState();
        log.info("NSM: status monitor state {}; {} client host(s) held monitored locks before this start and will be told of it{}",
                state, before.size(), before.isEmpty() ? "" : ": " + before.stream().map(MonitoredHost::callerName).toList());
        return new StatusMonitor(store, state, before);
    }

    /** Our NSM state number: odd while up, larger at every start. */
    public int state() { return state; }

    /**
     * Records that {@code callerName}, calling from {@code client}, holds a monitored lock; returns
     * once that record is durable (at once when it already is). Call it before acknowledging the
     * lock. Blocks: for a caller that must not, {@link #monitorAsync}.
     *
     * @throws StorageIoException the pool could not make the record durable (refuse the lock)
     */
    public void monitor(String callerName, InetSocketAddress client) {
        long ticket = record(callerName, client);
        if (ticket != 0) {
            store.await(ticket);
        }
    }

    /** As {@link #monitor}, completing (on the pool's commit thread) once the record is durable. */
    public CompletableFuture<Void> monitorAsync(String callerName, InetSocketAddress client) {
        long ticket = record(callerName, client);
        if (ticket == 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        store.whenDurable(ticket, durable -> {
            if (durable) {
                done.complete(null);
            } else {
                done.completeExceptionally(new StorageIoException("the pool could not record monitored host " + callerName));
            }
        });
        return done;
    }

    /** Stages the host's record if it is new or moved; the ticket to wait for, or 0 when it is already durable. */
    private long record(String callerName, InetSocketAddress client) {
        String address = client.getAddress().getHostAddress();
        String key = MonitoredHost.normalise(callerName);
        synchronized (this) {
            Recorded known = monitored.get(key);
            if (known != null && known.host().addresses().contains(address)) { // a multi-homed host alternating costs nothing
                return store.isDurable(known.ticket()) ? 0 : known.ticket();
            }
            MonitoredHost before = known != null ? known.host() : toNotify.get(key);
            MonitoredHost host = before == null ? new MonitoredHost(callerName, List.of(address)) : before.seenAt(address);
            long ticket = store.stage(host);
            monitored.put(key, new Recorded(host, ticket));
            if (known == null) {
                log.debug("NSM: monitoring {} at {}", callerName, address);
            }
            return ticket;
        }
    }

    /** Calls {@code listener} with the caller name of every monitored host that reports a reboot. */
    public void onReboot(Consumer<String> listener) { rebootListeners.add(listener); }

    /**
     * The caller names of the hosts that held monitored locks before this start: those that may
     * reclaim locks in the grace period (a lock manager may end it early once all of them did).
     */
    public Set<String> hostsToReclaim() { return toReclaim; }

    /** The hosts recorded since this start, and those of earlier runs not yet told of it. */
    public synchronized List<MonitoredHost> monitoredHosts() {
        List<MonitoredHost> out = new ArrayList<>();
        monitored.values().forEach(r -> out.add(r.host()));
        toNotify.values().stream().filter(h -> !monitored.containsKey(h.key())).forEach(out::add);
        return out;
    }

    /** The hosts of earlier runs to tell of this start (what {@link RebootNotifier} works through). */
    synchronized List<MonitoredHost> hostsToNotify() { return List.copyOf(toNotify.values()); }

    /**
     * {@code host} was told of this start (or could not be, in time): its record of an earlier run
     * goes, unless it locked again since (then it has a fresh one), as rpc.statd drops a notified
     * host; its next monitored lock records it again.
     */
    synchronized void notifyDone(MonitoredHost host) {
        if (toNotify.remove(host.key()) != null && !monitored.containsKey(host.key())) {
            store.stageForget(host.key());
        }
    }

    /**
     * A host's status monitor says it restarted ({@code SM_NOTIFY}): every monitored host that
     * {@code monName} names (its caller name, or an address it was seen at) loses its locks
     * through the reboot listeners and is forgotten until it locks again. Returns their caller names.
     */
    List<String> rebooted(String monName, int theirState, InetSocketAddress sender) {
        List<MonitoredHost> matched = new ArrayList<>();
        synchronized (this) {
            for (Recorded r : List.copyOf(monitored.values())) {
                if (r.host().isNamed(monName)) {
                    matched.add(r.host());
                    monitored.remove(r.host().key());
                }
            }
            for (MonitoredHost h : List.copyOf(toNotify.values())) {
                if (h.isNamed(monName) && matched.stream().noneMatch(m -> m.key().equals(h.key()))) {
                    matched.add(h);
                }
            }
            matched.forEach(h -> store.stageForget(h.key()));
        }
        if (matched.isEmpty()) {
            log.debug("NSM: {} (from {}) reports a restart, state {}; no monitored host by that name", monName, sender, theirState);
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (MonitoredHost h : matched) {
            log.info("NSM: client {} (last seen at {}) reports that it restarted (its state {}, notice from {}); "
                    + "its locks are released", h.callerName(), h.lastAddress(), theirState, sender.getAddress().getHostAddress());
            names.add(h.callerName());
            for (Consumer<String> l : rebootListeners) {
                try {
                    l.accept(h.callerName());
                } catch (RuntimeException e) {
                    log.error("NSM: releasing the locks of restarted client {} failed", h.callerName(), e);
                }
            }
        }
        return names;
    }

    /**
     * SM_SIMU_CRASH from a local caller: a new state number, as after a restart (durable before
     * returning). Depot's lock manager keeps its locks, so no host is told.
     */
    synchronized int simulateCrash() {
        state = store.advanceState();
        return state;
    }
}
