package io.depot.nfs.nlm;

import io.depot.nfs.rpc.RpcProgram;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Network Lock Manager: byte-range locks ({@link LockTable}) and share reservations
 * ({@link ShareTable}) on the files of every export, for every client, with what the protocol
 * adds around them: file handles resolved to files, the grace period after a restart, grant
 * callbacks for blocked locks, the status monitor told of the hosts holding locks, and a host's
 * reboot dropping everything it held. {@link #program()} serves it as RPC program 100021, v1, v3
 * and v4.
 *
 * <pre>{@code
 * NlmService nlm = new NlmService(files, HostMonitor.NONE, NlmSettings.defaults());
 * server.register(nlm.program());
 * ...
 * nlm.hostRebooted("client.example");   // the status monitor's SM_NOTIFY
 * }</pre>
 */
public final class NlmService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NlmService.class);

    /** TEST's answer: GRANTED, DENIED with the conflicting holder, or another refusal. */
    record TestOutcome(NlmStatus status, FileLock holder) {}

    private final FileResolver files;
    private final HostMonitor monitor;
    private final NlmSettings settings;
    private final LockTable table;
    private final ShareTable shares = new ShareTable();
    private final ExecutorService callbackThreads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("nlm-callback-", 0).factory());
    private final GrantCallbacks callbacks;
    // host -> its recording by the monitor (done once durable); a host's later locks wait for the same one
    private final ConcurrentHashMap<String, CompletableFuture<Void>> monitored = new ConcurrentHashMap<>();
    private volatile GracePeriod grace = GracePeriod.none();

    /**
     * A lock manager with no grace period (see {@link #beginGracePeriod}).
     *
     * @param files resolves file handles to files
     * @param monitor told of each host holding monitored locks
     * @param settings grace period length and callback behaviour
     */
    public NlmService(FileResolver files, HostMonitor monitor, NlmSettings settings) {
        this.files = files;
        this.monitor = monitor;
        this.settings = settings;
        this.table = new LockTable(this::grantedToWaiter);
        this.callbacks = new GrantCallbacks(table, new NlmPeer(settings.clientPortmapperPort(), settings.callbackTimeout()),
                callbackThreads, settings, this::deliveredToWaiter);
    }

    /** The RPC program (NLM v1, v3 and v4) to register with an {@link io.depot.nfs.rpc.RpcServer}. */
    public RpcProgram program() {
        return new NlmProgram(this, callbacks).build();
    }

    // ------------------------------------------------------------------ what the lead and the operator drive

    /**
     * Starts the grace period after a restart: until every host in {@code hostsThatHeldLocks} (the
     * status monitor's list of hosts monitored before the restart) has reclaimed, or the configured
     * length has passed, only reclaims are granted. With an empty list there is none. Call it
     * before the program is served, so no new lock slips in ahead of a reclaim.
     */
    public void beginGracePeriod(Collection<String> hostsThatHeldLocks) {
        GracePeriod g = GracePeriod.start(settings.gracePeriod(), hostsThatHeldLocks);
        grace = g;
        if (g.active()) {
            watchGraceEnd(g);
        }
    }

    /** The grace period in force (ended or not). */
    public GracePeriod gracePeriod() {
        return grace;
    }

    /**
     * {@code host} rebooted (its status monitor's SM_NOTIFY), or sent FREE_ALL: every lock, share
     * reservation and blocked request it had is dropped, and it will be monitored again when it
     * next locks. Waiters of other hosts that now fit are granted.
     */
    public void hostRebooted(String host) {
        String h = HostNames.normalise(host);
        int locks = table.releaseAll(h);
        callbacks.forgetHost(h);
        int shared = shares.releaseAll(h);
        monitored.remove(h);
        grace.hostGone(h);
        if (locks > 0 || shared > 0) {
            log.info("NLM client {} rebooted: released its {} locks and {} share reservations", h, locks, shared);
        } else {
            log.debug("NLM client {} rebooted, holding nothing", h);
        }
    }

    /** How many byte-range locks are held (after merging an owner's adjacent ones). */
    public int lockCount() {
        return table.locks().size();
    }

    /** Every held byte-range lock, for an operator. */
    public List<FileLock> locks() {
        return table.locks();
    }

    /** Every share reservation, for an operator. */
    public List<ShareReservation> shares() {
        return shares.all();
    }

    /** Blocked requests waiting for a lock. */
    public List<Pending> waiting() {
        return table.pending();
    }

    /** The hosts reported to the {@link HostMonitor} and not rebooted since. */
    public Set<String> monitoredHosts() {
        return Set.copyOf(monitored.keySet());
    }

    // ------------------------------------------------------------------ the procedures

    TestOutcome test(NlmLock lock, boolean exclusive) {
        OptionalLong file = files.fileId(lock.fh());
        if (file.isEmpty()) {
            return new TestOutcome(NlmStatus.STALE_FH, null);
        }
        if (grace.active()) {
            return new TestOutcome(NlmStatus.DENIED_GRACE_PERIOD, null);
        }
        return table.test(lock.on(file.getAsLong(), exclusive))
                .map(h -> new TestOutcome(NlmStatus.DENIED, h))
                .orElse(new TestOutcome(NlmStatus.GRANTED, null));
    }

    /** LOCK (monitored) and NM_LOCK (not monitored). */
    NlmStatus lock(NlmXdr.LockArgs a, boolean monitoredLock, GrantCallbacks.Requester from) {
        OptionalLong file = files.fileId(a.lock().fh());
        if (file.isEmpty()) {
            return NlmStatus.STALE_FH;
        }
        if (!grace.admits(a.reclaim(), a.lock().callerName())) {
            return NlmStatus.DENIED_GRACE_PERIOD;
        }
        // A reclaim after the grace period is an ordinary request: granted if nothing conflicts.
        FileLock request = a.lock().on(file.getAsLong(), a.exclusive());
        callbacks.confirm(request);
        GrantCallbacks.Waiter waiter = new GrantCallbacks.Waiter(a.lock(), a.exclusive(), from, monitoredLock);
        if (a.block()) {
            callbacks.expect(request, waiter);
        }
        LockResult result = table.lock(request, a.block());
        if (!(result instanceof LockResult.Blocked)) {
            callbacks.unexpect(request, waiter);
        }
        switch (result) {
            case LockResult.Granted granted -> {
                log.debug("granted {}", request);
                if (monitoredLock) {
                    monitorOnce(request.owner().host(), from.remote());
                }
                return NlmStatus.GRANTED;
            }
            case LockResult.Denied denied -> {
                log.debug("denied {}: held {}", request, denied.holder());
                return NlmStatus.DENIED;
            }
            case LockResult.Blocked blocked -> {
                log.debug("blocked {}", request);
                return NlmStatus.BLOCKED;
            }
        }
    }

    NlmStatus cancel(NlmLock lock, boolean exclusive) {
        OptionalLong file = files.fileId(lock.fh());
        if (file.isEmpty()) {
            return NlmStatus.STALE_FH;
        }
        FileLock request = lock.on(file.getAsLong(), exclusive);
        boolean waited = table.cancel(request);
        callbacks.cancel(request);
        log.debug("cancelled {} ({})", request, waited ? "was waiting" : "was not waiting");
        return NlmStatus.GRANTED;
    }

    NlmStatus unlock(NlmLock lock) {
        OptionalLong file = files.fileId(lock.fh());
        if (file.isEmpty()) {
            return NlmStatus.STALE_FH;
        }
        table.unlock(file.getAsLong(), lock.owner(), lock.range());
        return NlmStatus.GRANTED;
    }

    NlmStatus share(NlmXdr.ShareArgs a) {
        NlmShare s = a.share();
        OptionalLong file = files.fileId(s.fh());
        if (file.isEmpty()) {
            return NlmStatus.STALE_FH;
        }
        if (!grace.admits(a.reclaim(), s.callerName())) {
            return NlmStatus.DENIED_GRACE_PERIOD;
        }
        ShareReservation r = new ShareReservation(file.getAsLong(), HostNames.normalise(s.callerName()), s.oh(), s.access(), s.mode());
        return shares.share(r).map(held -> {
            log.debug("share {} denied: held {}", r, held);
            return NlmStatus.DENIED;
        }).orElse(NlmStatus.GRANTED);
    }

    NlmStatus unshare(NlmShare s) {
        OptionalLong file = files.fileId(s.fh());
        if (file.isEmpty()) {
            return NlmStatus.STALE_FH;
        }
        shares.unshare(file.getAsLong(), HostNames.normalise(s.callerName()), s.oh());
        return NlmStatus.GRANTED;
    }

    /** Requests waiting with a registered callback (tests). */
    int callbacksWaiting() {
        return callbacks.waiting();
    }

    /** Grants being offered to clients right now (tests). */
    int grantsBeingOffered() {
        return callbacks.delivering();
    }

    private void grantedToWaiter(Pending p) {
        callbacks.granted(p);
    }

    private void deliveredToWaiter(GrantCallbacks.Waiter w) {
        if (w.monitored()) {
            monitorOnce(w.lock().owner().host(), w.from().remote());
        }
    }

    /**
     * Tells the monitor of {@code host} the first time it holds a monitored lock, and waits until
     * the host is recorded (durably, for the status monitor) before the grant is answered: a lock
     * whose reply left Depot always belongs to a host that will be told to reclaim it after a
     * restart. Only a host's first lock in a run waits; concurrent first locks share the wait.
     * Runs on the caller's worker or callback thread, never the event loop.
     */
    private void monitorOnce(String host, InetSocketAddress client) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> recording = monitored.putIfAbsent(host, mine);
        if (recording == null) {
            try {
                monitor.monitor(host, client);
                mine.complete(null);
            } catch (RuntimeException e) {
                monitored.remove(host, mine);
                mine.complete(null); // the lock stands; only its reclaim after a restart is lost
                log.warn("status monitor refused to monitor NLM client {} ({}): its locks will not be reclaimed after a restart",
                        host, e.toString());
            }
            return;
        }
        recording.join();
    }

    /** Polls an active grace period once a second so its end is logged when it comes, not at the next request. */
    private void watchGraceEnd(GracePeriod g) {
        callbackThreads.execute(() -> {
            try {
                while (g.active() && grace == g) {
                    Thread.sleep(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Stops callbacks under way (their locks stay as they are). */
    @Override
    public void close() {
        callbackThreads.shutdownNow();
        try {
            callbackThreads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
