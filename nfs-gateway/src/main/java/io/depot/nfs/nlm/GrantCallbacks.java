package io.depot.nfs.nlm;

import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells clients that a blocked lock is now theirs (NLM_GRANTED, or NLM_GRANTED_MSG when the
 * client asked with LOCK_MSG), and sends the *_RES answers of *_MSG calls.
 *
 * <p>A blocking request is {@linkplain #expect registered} with who asked (address, version,
 * whether asynchronously). When the lock table grants it, the grant is offered to the client on a
 * callback thread (off the table's monitor and the event loop), up to the configured number of
 * attempts. A client that refuses it (its process stopped waiting) or never answers does not get
 * to keep it: the lock is released, so it does not leak. A client that asks for the same lock
 * again while the offer is under way (the kernel client resends a blocked LOCK every 30 s) is
 * answered GRANTED by the table, and {@link #confirm} then stops the offer from releasing it.
 */
final class GrantCallbacks {
    private static final Logger log = LoggerFactory.getLogger(GrantCallbacks.class);

    /** Who sent a request: where to call back, in which NLM version, and whether with *_MSG. */
    record Requester(InetSocketAddress remote, int version, boolean async) {}

    /** A blocked request as it came: the lock to echo in GRANTED, and whether the host is to be monitored. */
    record Waiter(NlmLock lock, boolean exclusive, Requester from, boolean monitored) {}

    /** A grant being offered; settled once, by the client's acceptance, a repeated LOCK, a release or a reboot. */
    private static final class Offer {
        final Waiter waiter;
        private boolean settled;

        Offer(Waiter waiter) {
            this.waiter = waiter;
        }

        synchronized boolean settle() {
            boolean first = !settled;
            settled = true;
            return first;
        }

        synchronized boolean settled() {
            return settled;
        }
    }

    private final LockTable table;
    private final NlmPeer peer;
    private final ExecutorService executor;
    private final int attempts;
    private final long timeoutMillis;
    private final Consumer<Waiter> delivered;
    private final Map<FileLock, Waiter> waiters = new ConcurrentHashMap<>();
    private final Map<FileLock, Offer> offers = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<NlmStatus>> grantedResults = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong(System.nanoTime());
    private final AtomicInteger delivering = new AtomicInteger();

    GrantCallbacks(LockTable table, NlmPeer peer, ExecutorService executor, NlmSettings settings, Consumer<Waiter> delivered) {
        this.table = table;
        this.peer = peer;
        this.executor = executor;
        this.attempts = settings.callbackAttempts();
        this.timeoutMillis = settings.callbackTimeout().toMillis();
        this.delivered = delivered;
    }

    /**
     * Who asks for {@code lock} with a blocking request, registered before the table is asked (so
     * a grant right after queueing finds it); a resent request replaces the earlier registration.
     */
    void expect(FileLock lock, Waiter waiter) {
        waiters.put(lock, waiter);
    }

    /** The request was granted at once or refused: no callback will be needed for this registration. */
    void unexpect(FileLock lock, Waiter waiter) {
        waiters.remove(lock, waiter);
    }

    /** The table's grant listener: offers the grant to the client that waits for it. */
    void granted(Pending pending) {
        FileLock lock = pending.request();
        Waiter w = waiters.remove(lock);
        if (w == null) {
            // nobody to tell (its host was forgotten meanwhile): do not let it leak
            table.unlock(lock.fileId(), lock.owner(), lock.range());
            log.debug("released {}: granted with no client waiting for it", lock);
            return;
        }
        offer(lock, w);
    }

    /** The client asked for {@code lock} again and is answered GRANTED: an offer under way must not release it. */
    void confirm(FileLock lock) {
        Offer o = offers.remove(lock);
        if (o != null) {
            o.settle();
        }
    }

    /**
     * The client cancelled {@code lock}: forgets the request, and if it was granted but the offer
     * is still under way, releases it (the client no longer expects it).
     */
    void cancel(FileLock lock) {
        waiters.remove(lock);
        Offer o = offers.remove(lock);
        if (o != null && o.settle()) {
            table.unlock(lock.fileId(), lock.owner(), lock.range());
            log.debug("cancelled while its grant was offered: released {}", lock);
        }
    }

    /** {@code host} rebooted: forgets its requests and stops offering it grants (the table has released its locks). */
    void forgetHost(String host) {
        waiters.keySet().removeIf(l -> l.owner().host().equals(host));
        offers.entrySet().removeIf(e -> {
            if (!e.getKey().owner().host().equals(host)) {
                return false;
            }
            e.getValue().settle();
            return true;
        });
    }

    /** A client's NLM_GRANTED_RES: the answer to our GRANTED_MSG with {@code cookie}. */
    void grantedResult(byte[] cookie, NlmStatus status) {
        if (cookie.length == Long.BYTES) {
            CompletableFuture<NlmStatus> f = grantedResults.get(ByteBuffer.wrap(cookie).getLong());
            if (f != null) {
                f.complete(status);
            }
        }
    }

    /** Requests waiting for a callback (for tests and checks). */
    int waiting() {
        return waiters.size();
    }

    /** Grants being offered to clients right now (for tests and checks). */
    int delivering() {
        return delivering.get();
    }

    /** Sends a *_MSG call's answer ({@code resProcedure}) to the caller's lock manager, off the caller's thread. */
    void sendResult(Requester to, int resProcedure, Consumer<XdrWriter> result) {
        executor.execute(() -> {
            for (int attempt = 1; attempt <= attempts; attempt++) {
                try {
                    RpcReply r = peer.call(to.remote().getAddress(), to.version(), resProcedure, result);
                    if (r.success()) {
                        return;
                    }
                    log.debug("NLM result {} to {} answered {}", resProcedure, to.remote(), r);
                } catch (IOException e) {
                    log.debug("NLM result {} to {} not delivered (attempt {}): {}", resProcedure, to.remote(), attempt, e.toString());
                }
            }
            log.debug("gave up sending NLM result {} to {}", resProcedure, to.remote());
        });
    }

    private void offer(FileLock lock, Waiter w) {
        Offer o = new Offer(w);
        offers.put(lock, o);
        delivering.incrementAndGet();
        executor.execute(() -> {
            try {
                deliver(lock, o);
            } finally {
                delivering.decrementAndGet();
            }
        });
    }

    private void deliver(FileLock lock, Offer o) {
        Waiter w = o.waiter;
        byte[] cookie = ByteBuffer.allocate(Long.BYTES).putLong(cookies.incrementAndGet()).array();
        String last = "no attempt";
        for (int attempt = 1; attempt <= attempts && !o.settled(); attempt++) {
            NlmStatus answer;
            try {
                answer = callGranted(w, cookie);
            } catch (IOException | TimeoutException e) {
                last = e.toString();
                log.debug("grant of {} to {} not answered (attempt {}): {}", lock, w.from().remote(), attempt, last);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                last = "interrupted (shutting down)";
                break;
            }
            if (answer == NlmStatus.GRANTED) {
                if (o.settle()) {
                    offers.remove(lock, o);
                    log.debug("granted {} to {} by callback", lock, w.from().remote());
                    delivered.accept(w);
                }
                return;
            }
            release(lock, o, "the client answered " + answer + " (no longer waiting)");
            return;
        }
        if (release(lock, o, "the client did not take it: " + last)) {
            log.warn("NLM client {} did not answer the callback granting its blocked lock {} ({} attempts, last: {}); released it",
                    w.from().remote(), lock, attempts, last);
        }
    }

    private boolean release(FileLock lock, Offer o, String why) {
        if (!o.settle()) {
            return false;
        }
        offers.remove(lock, o);
        table.unlock(lock.fileId(), lock.owner(), lock.range());
        log.debug("released {} granted to a waiter: {}", lock, why);
        return true;
    }

    /** One offer: GRANTED answered in its reply, or GRANTED_MSG answered by a GRANTED_RES call. */
    private NlmStatus callGranted(Waiter w, byte[] cookie) throws IOException, TimeoutException, InterruptedException {
        int v = w.from().version();
        NlmXdr.TestArgs args = new NlmXdr.TestArgs(cookie, w.exclusive(), w.lock());
        if (!w.from().async()) {
            RpcReply r = peer.call(w.from().remote().getAddress(), v, Nlm.PROC_GRANTED, x -> NlmXdr.writeTestArgs(x, v, args));
            if (!r.success()) {
                throw new IOException("NLM_GRANTED answered " + r);
            }
            return NlmXdr.readRes(r.results(), v).status();
        }
        long key = ByteBuffer.wrap(cookie).getLong();
        CompletableFuture<NlmStatus> answer = new CompletableFuture<>();
        grantedResults.put(key, answer);
        try {
            RpcReply r = peer.call(w.from().remote().getAddress(), v, Nlm.PROC_GRANTED_MSG, x -> NlmXdr.writeTestArgs(x, v, args));
            if (!r.success()) {
                throw new IOException("NLM_GRANTED_MSG answered " + r);
            }
            return answer.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        } finally {
            grantedResults.remove(key);
        }
    }
}
