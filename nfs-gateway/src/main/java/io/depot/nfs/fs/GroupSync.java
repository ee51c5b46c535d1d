package io.depot.nfs.fs;

import io.depot.engine.EngineException;
import io.depot.engine.Settings;
import io.depot.engine.StorageIoException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of namespace changes. A change is applied to the settings without a sync while
 * the namespace lock is held ({@link #applied} numbers it); the change is durable once a sync
 * that began after it returns. One syncer thread makes those syncs: it wakes when a change is
 * applied, gathers, syncs once for every change applied so far, and then releases their
 * callers: those blocked in {@link #awaitDurable}, and those that asked to be told with
 * {@link #whenDurable} (an event loop, which must not block, holds the reply until then). So
 * concurrent CREATEs and REMOVEs share one fsync of the metadata log, and the callers never
 * queue one fsync each behind the namespace lock.
 *
 * <p>Gathering: clients with one call in flight each send their next change right after the
 * previous sync answered them, so a sync started at the first arrival would cover it alone and
 * the rest would wait a whole sync for the next one (or, with several clients, syncs would
 * alternate between two halves of them). The syncer therefore first waits until as many
 * changes are pending as there were callers at the last sync (the changes it covered plus
 * those applied while it ran), for at most the duration of the last sync (PostgreSQL's
 * commit_delay, adaptive: a lone client never waits, as there is only ever one caller).
 *
 * <p>RFC 1813 §4.7 (synchronous modifying operations) lets a client assume that a modifying
 * procedure's change is on stable storage (§4.8) when the reply arrives: every namespace
 * procedure replies only after its change is durable. The log is replayed in order after a
 * crash, so a synced change is never kept without every change applied before it.
 *
 * <p>Only {@link NamespaceLog} uses this class: it is how that log is made durable today.
 */
final class GroupSync {
    private static final Logger log = LoggerFactory.getLogger(GroupSync.class);
    private static final long MAX_GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** An idle syncer thread ends after this; the next change starts a new one. */
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private record Waiter(long ticket, NamespaceLog.Completion completion) {}

    private final Settings settings;
    private final ReentrantLock lock = new ReentrantLock();
    /** The syncer waits here for changes, and while gathering for more. */
    private final Condition work = lock.newCondition();
    /** Blocked callers wait here for their change to become durable. */
    private final Condition synced = lock.newCondition();
    // guarded by lock
    private long applied;
    /** Changes up to this number are durable. */
    private long durable;
    /** Changes up to this number had a sync attempted for them: durable, or told that their sync failed. */
    private long settled;
    private long syncs;
    private EngineException failure;
    private final List<Waiter> waiters = new ArrayList<>();
    private boolean syncerRunning;
    /** While the syncer waits: how many pending changes it waits for (idle: 1; gathering: more); 0 while it syncs. */
    private long syncerWants;
    /** Changes the last sync covered plus those applied while it ran: how many callers to gather. */
    private long concurrency = 1;
    /** How long the last sync took: the longest the next one waits to gather. */
    private long lastSyncNanos;

    GroupSync(Settings settings) {
        this.settings = settings;
    }

    /** Numbers a change just applied without sync, and gets it synced; the number to wait for. */
    long applied() {
        lock.lock();
        try {
            long ticket = ++applied;
            if (syncerRunning) {
                if (syncerWants > 0 && applied - settled >= syncerWants) {
                    work.signal(); // only when that is what it waits for: a gathering syncer is not woken per change
                }
            } else {
                syncerRunning = true;
                Thread.ofPlatform().name("nfs-namespace-sync").daemon().start(this::syncLoop);
            }
            return ticket;
        } finally {
            lock.unlock();
        }
    }

    /** The number of the last change applied (0: none yet). */
    long lastApplied() {
        lock.lock();
        try {
            return applied;
        } finally {
            lock.unlock();
        }
    }

    /** Syncs made so far (fewer than changes when callers shared them). */
    long syncs() {
        lock.lock();
        try {
            return syncs;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns once change {@code ticket} (and every one before it) is durable.
     *
     * @throws EngineException the sync that should have covered it failed
     */
    void awaitDurable(long ticket) {
        lock.lock();
        try {
            while (settled < ticket) {
                synced.awaitUninterruptibly();
            }
            if (durable < ticket) {
                throw new StorageIoException("the namespace log could not be synced: " + failure.getMessage(), failure);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Calls {@code completion} once change {@code ticket} is durable, or once the sync meant to
     * cover it failed; at once (on this thread) if that is already so, else on the syncer thread,
     * which it must not hold up for long.
     */
    void whenDurable(long ticket, NamespaceLog.Completion completion) {
        boolean now;
        boolean ok;
        lock.lock();
        try {
            ok = durable >= ticket;
            now = settled >= ticket;
            if (!now) {
                waiters.add(new Waiter(ticket, completion));
            }
        } finally {
            lock.unlock();
        }
        if (now) {
            completion.done(ok);
        }
    }

    private void syncLoop() {
        while (true) {
            long from;
            long target;
            lock.lock();
            try {
                long idleSince = System.nanoTime();
                syncerWants = 1;
                while (applied == settled) {
                    long left = IDLE_NANOS - (System.nanoTime() - idleSince);
                    if (left <= 0) {
                        syncerRunning = false;
                        syncerWants = 0;
                        return;
                    }
                    try {
                        work.awaitNanos(left);
                    } catch (InterruptedException e) {
                        // a daemon thread nobody interrupts on purpose: carry on
                    }
                }
                gather();
                syncerWants = 0;
                from = settled;
                target = applied; // everything numbered so far was applied before this sync starts
            } finally {
                lock.unlock();
            }
            EngineException failed = null;
            long start = System.nanoTime();
            try {
                settings.sync();
            } catch (EngineException e) {
                failed = e;
            } catch (RuntimeException e) {
                failed = new StorageIoException("namespace sync failed: " + e, e);
            }
            long took = System.nanoTime() - start;
            List<Waiter> due = new ArrayList<>();
            lock.lock();
            try {
                settled = target;
                if (failed == null) {
                    durable = target;
                    syncs++;
                    concurrency = Math.max(1, applied - from);
                    lastSyncNanos = took;
                } else {
                    // the changes stay applied (visible), but their callers are told they may not be durable;
                    // a later change gets a sync of its own, which covers these too if the store recovers
                    failure = failed;
                }
                for (int i = waiters.size() - 1; i >= 0; i--) {
                    if (waiters.get(i).ticket() <= target) {
                        due.add(waiters.remove(i));
                    }
                }
                synced.signalAll();
            } finally {
                lock.unlock();
            }
            if (failed != null) {
                log.error("the namespace log could not be synced; {} change(s) may not be durable: {}",
                        target - from, failed.getMessage());
            }
            boolean ok = failed == null;
            for (Waiter w : due) {
                try {
                    w.completion().done(ok);
                } catch (RuntimeException e) {
                    log.warn("a namespace change's completion failed: {}", e.toString());
                }
            }
        }
    }

    /** Under {@link #lock}: waits (bounded) until as many changes are pending as callers were at the last sync. */
    private void gather() {
        if (concurrency <= 1) {
            return;
        }
        long deadline = System.nanoTime() + Math.min(lastSyncNanos, MAX_GATHER_NANOS);
        syncerWants = concurrency;
        while (applied - settled < concurrency) {
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
}
