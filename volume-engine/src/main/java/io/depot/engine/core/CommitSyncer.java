package io.depot.engine.core;

import io.depot.engine.DurabilityCallback;
import io.depot.engine.StorageIoException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the {@link CommitPipeline}'s commits for callers that wait for a ticket instead of
 * committing on their own thread: those blocked in {@link #await} and those that asked to be told
 * with {@link #whenDurable} (an event loop, which must not block). One syncer thread, started on
 * demand and gone after a while idle, gathers their requests, commits once for all of them, and
 * releases them. A commit made by anyone else (a volume flush on its caller's thread) releases
 * the tickets it covers just the same: the pipeline tells this syncer after every commit.
 *
 * <p>Gathering: clients with one request in flight each send their next one right after the
 * previous commit answered them, so a commit started at the first arrival would cover it alone
 * and the rest would wait a whole commit for the next one. The syncer therefore first waits until
 * as many requests are pending as there were at the last commit (those it covered plus those made
 * while it ran), for at most the duration of the last commit (PostgreSQL's commit_delay,
 * adaptive: a lone client never waits, as there is only ever one request).
 */
public final class CommitSyncer {
    private static final Logger log = LoggerFactory.getLogger(CommitSyncer.class);
    private static final long MAX_GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** An idle syncer thread ends after this; the next request starts a new one. */
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private record Waiter(long ticket, DurabilityCallback completion) {}

    private final CommitPipeline pipeline;
    private final ReentrantLock lock = new ReentrantLock();
    /** The syncer waits here for requests, for more while gathering, and for completions to run. */
    private final Condition work = lock.newCondition();
    /** Callers blocked in {@link #await} wait here for a commit. */
    private final Condition committed = lock.newCondition();
    // guarded by lock
    private final List<Waiter> waiters = new ArrayList<>();
    /** The highest ticket anyone asked for. */
    private long wanted;
    /** Requests so far, and those made before the last commit by this syncer began. */
    private long requests;
    private long requestsCovered;
    private Thread syncer;
    private boolean closed;
    /** While the syncer waits: how many pending requests wake it (idle: 1; gathering: more); 0 while it commits. */
    private long syncerWants;
    /** Requests the last commit covered plus those made while it ran: how many to gather. */
    private long concurrency = 1;
    /** How long the last commit took: the longest the next one waits to gather. */
    private long lastCommitNanos;

    public CommitSyncer(CommitPipeline pipeline) {
        this.pipeline = pipeline;
        pipeline.onCommit(this::afterCommit);
    }

    /** The pipeline whose commits this syncer makes. */
    public CommitPipeline pipeline() { return pipeline; }

    /**
     * Returns once commit {@code ticket} (and so everything staged before it) is durable.
     *
     * @throws StorageIoException the commit meant to cover it failed, or the pool closed first
     */
    public void await(long ticket) {
        if (pipeline.durableSeq() >= ticket) {
            return;
        }
        lock.lock();
        try {
            if (Thread.currentThread() == syncer) {   // from a completion: the syncer cannot wait for itself
                lock.unlock();
                try {
                    pipeline.flush();
                } finally {
                    lock.lock();
                }
            } else {
                request(ticket);
            }
            while (pipeline.durableSeq() < ticket && !pipeline.failed() && !closed) {
                committed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        if (pipeline.durableSeq() < ticket) {
            pipeline.throwIfFailed();
            throw new StorageIoException("the pool closed before its catalog change was durable");
        }
    }

    /**
     * Calls {@code completion} exactly once, on the syncer thread (never this one), once commit
     * {@code ticket} is durable or once it failed. The completion must not hold the syncer up.
     */
    public void whenDurable(long ticket, DurabilityCallback completion) {
        lock.lock();
        try {
            waiters.add(new Waiter(ticket, completion));
            if (pipeline.durableSeq() >= ticket || pipeline.failed() || closed) {
                wake();
            } else {
                request(ticket);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under {@link #lock}: asks for a commit covering {@code ticket}, waking the syncer when that is what it waits for. */
    private void request(long ticket) {
        wanted = Math.max(wanted, ticket);
        requests++;
        if (syncer == null) {
            startSyncer();
        } else if (syncerWants > 0 && requests - requestsCovered >= syncerWants) {
            work.signal();   // a gathering syncer is not woken per request
        }
    }

    /** Under {@link #lock}: gets the syncer to run the completions that are due. */
    private void wake() {
        if (syncer == null) {
            startSyncer();
        } else {
            work.signal();
        }
    }

    private void startSyncer() {
        syncer = Thread.ofPlatform().name("depot-commit-syncer").daemon().start(this::syncLoop);
    }

    /** After every commit (by anyone): release blocked callers, and have the syncer run due completions. */
    private void afterCommit() {
        lock.lock();
        try {
            committed.signalAll();
            if (!waiters.isEmpty()) {
                work.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    private void syncLoop() {
        while (true) {
            List<Waiter> due = new ArrayList<>();
            boolean commit;
            long from = 0;
            lock.lock();
            try {
                long idleSince = System.nanoTime();
                while (true) {
                    takeDue(due);
                    commit = needsCommit();
                    if (!due.isEmpty() || commit) {
                        break;
                    }
                    long left = IDLE_NANOS - (System.nanoTime() - idleSince);
                    requestsCovered = requests;   // every request so far is durable: none is pending
                    if (closed || left <= 0) {
                        syncer = null;
                        syncerWants = 0;
                        return;
                    }
                    syncerWants = 1;
                    try {
                        work.awaitNanos(left);
                    } catch (InterruptedException e) {
                        // a daemon thread nobody interrupts on purpose: carry on
                    }
                }
                if (due.isEmpty()) {   // completions first, then gather and commit on the next turn
                    gather();
                    commit = needsCommit();
                    from = requestsCovered;
                    requestsCovered = requests;
                }
                syncerWants = 0;
            } finally {
                lock.unlock();
            }
            run(due);
            if (commit && due.isEmpty()) {
                commit(from);
            }
        }
    }

    private void commit(long from) {
        long start = System.nanoTime();
        try {
            pipeline.flush();   // commits unless one that began after every request already did
        } catch (RuntimeException e) {
            log.error("a commit failed; every change waiting for it is told so and the pool refuses more until reopened: {}", e.toString());
        }
        long took = System.nanoTime() - start;
        lock.lock();
        try {
            concurrency = Math.max(1, requests - from);
            lastCommitNanos = took;
        } finally {
            lock.unlock();
        }
    }

    private boolean needsCommit() {
        return wanted > pipeline.durableSeq() && !pipeline.failed() && !closed;
    }

    /** Under {@link #lock}: moves the waiters that are settled (durable, failed, or closed) to {@code due}. */
    private void takeDue(List<Waiter> due) {
        long durable = pipeline.durableSeq();
        boolean settledAll = pipeline.failed() || closed;
        for (int i = 0; i < waiters.size(); i++) {
            Waiter w = waiters.get(i);
            if (settledAll || w.ticket() <= durable) {
                due.add(w);
                waiters.set(i, waiters.get(waiters.size() - 1));
                waiters.remove(waiters.size() - 1);
                i--;
            }
        }
    }

    private void run(List<Waiter> due) {
        long durable = pipeline.durableSeq();
        for (Waiter w : due) {
            try {
                w.completion().done(w.ticket() <= durable);
            } catch (RuntimeException e) {
                log.warn("a durability completion failed: {}", e.toString());
            }
        }
    }

    /** Under {@link #lock}: waits (bounded) until as many requests are pending as at the last commit. */
    private void gather() {
        if (concurrency <= 1) {
            return;
        }
        long deadline = System.nanoTime() + Math.min(lastCommitNanos, MAX_GATHER_NANOS);
        syncerWants = concurrency;
        while (requests - requestsCovered < concurrency && needsCommit()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                work.awaitNanos(left);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Stops the syncer once it has run every completion: those covered by the last commit are told
     * durable, the rest not. Call after the pool's final commit and before its stores close.
     */
    public void close() {
        Thread running;
        lock.lock();
        try {
            closed = true;
            committed.signalAll();
            work.signal();
            running = syncer;
        } finally {
            lock.unlock();
        }
        if (running != null) {
            try {
                running.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
