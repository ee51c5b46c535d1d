package io.depot.nfs.fs;

import io.depot.engine.Settings;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit of namespace changes. A change is applied to the settings without a sync while
 * the namespace lock is held ({@link #applied} numbers it); after releasing the lock its caller
 * waits in {@link #awaitDurable} until a sync that began after the change covers it. One caller
 * syncs for everyone waiting at that moment; those that arrive meanwhile wait for the next
 * sync, which one of them starts. So concurrent CREATEs and REMOVEs share one fsync of the
 * metadata log instead of queueing one fsync each behind the namespace lock.
 *
 * <p>Gathering: clients with one call in flight each send their next change right after the
 * previous sync answered them, so the first to arrive would sync alone and the rest wait a
 * whole sync for the next one. When the previous sync covered {@code n > 1} changes, the
 * syncing caller first waits until {@code n} changes are pending or a quarter of the last
 * sync's duration has passed, whichever comes first (PostgreSQL's commit_delay, adaptive: a
 * lone client never waits, as its syncs cover one change each).
 *
 * <p>RFC 1813 §4.7 (synchronous modifying operations) lets a client assume that a modifying
 * procedure's change is on stable storage (§4.8) when the reply arrives: every namespace
 * procedure replies only after {@link #awaitDurable} returned. The log is replayed in order
 * after a crash, so a synced change is never kept without every change applied before it.
 */
final class GroupSync {
    private static final long MAX_GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final Settings settings;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition synced = lock.newCondition();
    private final Condition arrived = lock.newCondition();
    // guarded by lock
    private long applied;
    private long durable;
    private boolean syncing;
    private long syncs;
    /** Changes the last sync covered, and how long it took: what the next one waits for, and how long at most. */
    private long lastGroup = 1;
    private long lastSyncNanos;

    GroupSync(Settings settings) {
        this.settings = settings;
    }

    /** Numbers a change just applied without sync; the number to wait for. */
    long applied() {
        lock.lock();
        try {
            arrived.signalAll();
            return ++applied;
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

    /** Returns once change {@code ticket} (and every one before it) is durable. */
    void awaitDurable(long ticket) {
        lock.lock();
        try {
            while (durable < ticket) {
                if (syncing) {
                    synced.awaitUninterruptibly();
                    continue;
                }
                syncing = true;
                gather();
                long from = durable;
                long target = applied; // everything numbered so far was applied before this sync starts
                lock.unlock();
                boolean ok = false;
                long start = System.nanoTime();
                try {
                    settings.sync();
                    ok = true;
                } finally {
                    long took = System.nanoTime() - start;
                    lock.lock();
                    syncing = false;
                    if (ok) {
                        durable = Math.max(durable, target);
                        syncs++;
                        lastGroup = Math.max(1, target - from);
                        lastSyncNanos = took;
                    }
                    synced.signalAll(); // on failure a waiter tries a sync of its own
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under {@link #lock}: waits (bounded) for as many pending changes as the last sync covered. */
    private void gather() {
        if (lastGroup <= 1) {
            return;
        }
        long wait = Math.min(lastSyncNanos / 4, MAX_GATHER_NANOS);
        long deadline = System.nanoTime() + wait;
        while (applied - durable < lastGroup) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                arrived.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
