package io.depot.nfs.fs;

import io.depot.engine.Settings;
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
 * <p>RFC 1813 §4.7 (synchronous modifying operations) lets a client assume that a modifying
 * procedure's change is on stable storage (§4.8) when the reply arrives: every namespace
 * procedure replies only after {@link #awaitDurable} returned. The log is replayed in order after a crash,
 * so a synced change is never kept without every change applied before it.
 */
final class GroupSync {
    private final Settings settings;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition synced = lock.newCondition();
    // guarded by lock
    private long applied;
    private long durable;
    private boolean syncing;
    private long syncs;

    GroupSync(Settings settings) {
        this.settings = settings;
    }

    /** Numbers a change just applied without sync; the number to wait for. */
    long applied() {
        lock.lock();
        try {
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
                long target = applied; // everything numbered so far was applied before this sync starts
                lock.unlock();
                boolean ok = false;
                try {
                    settings.sync();
                    ok = true;
                } finally {
                    lock.lock();
                    syncing = false;
                    if (ok) {
                        durable = Math.max(durable, target);
                        syncs++;
                    }
                    synced.signalAll(); // on failure a waiter tries a sync of its own
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
