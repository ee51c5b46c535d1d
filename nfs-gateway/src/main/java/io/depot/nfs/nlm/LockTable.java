package io.depot.nfs.nlm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Byte-range locks on files, shared and exclusive, the state the NLM v4 server keeps: what
 * NLM_TEST, NLM_LOCK, NLM_CANCEL, NLM_UNLOCK and SM_NOTIFY (a client rebooted) do to it.
 *
 * <p>Conflicts are POSIX's ({@link FileLock#conflictsWith}). A new lock by an owner replaces that
 * owner's own locks where they overlap, as fcntl does: a shared lock over the owner's exclusive
 * one downgrades those bytes, an exclusive one upgrades them (if no other owner is in the way),
 * and what is left of the old lock outside the new range keeps its type, so a lock can be split in
 * three. Adjacent or overlapping locks of one owner and one type are merged into one.
 *
 * <p>A blocking request that conflicts is queued and answered with a {@link Pending}. Whenever
 * locks on a file are released (unlock, downgrade, {@link #releaseAll}), the queued requests on
 * that file are tried in the order they came, and each one that no longer conflicts is granted and
 * reported to the {@link GrantListener}. Waiters do not block each other: a later request that fits
 * is granted even if an earlier one still waits, as POSIX locks behave. There is no deadlock
 * detection: a blocked client waits until it cancels.
 *
 * <p>Thread-safe: one monitor for the whole table, held only for in-memory work, never while the
 * grant listener runs. It is a leaf in the gateway's lock order (nothing is taken under it).
 */
public final class LockTable {
    private final Object monitor = new Object();
    private final GrantListener listener;
    // Per file: held locks (no two conflicting) and the waiters in arrival order. Files with
    // neither are removed, so the map holds only files someone locks.
    private final Map<Long, FileState> files = new HashMap<>();
    private long nextPendingId = 1;

    private static final class FileState {
        final List<FileLock> held = new ArrayList<>();
        final List<Pending> waiters = new ArrayList<>();

        boolean isEmpty() {
            return held.isEmpty() && waiters.isEmpty();
        }
    }

    /** A table that reports grants of blocked requests to {@code listener}. */
    public LockTable(GrantListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** A table without grant callbacks. */
    public LockTable() {
        this(GrantListener.NONE);
    }

    /**
     * NLM_TEST: the first held lock that would conflict with {@code request}, or empty if it could
     * be granted now. Changes nothing.
     */
    public Optional<FileLock> test(FileLock request) {
        synchronized (monitor) {
            FileState state = files.get(request.fileId());
            return state == null ? Optional.empty() : firstConflict(state, request);
        }
    }

    /**
     * NLM_LOCK: grants {@code request} if nothing conflicts; otherwise refuses it with the first
     * conflicting holder, or, if {@code block}, queues it. Retransmitting the same blocking request
     * while it waits answers the same {@link Pending} rather than queueing it twice.
     */
    public LockResult lock(FileLock request, boolean block) {
        List<Pending> granted;
        LockResult result;
        synchronized (monitor) {
            FileState state = files.computeIfAbsent(request.fileId(), id -> new FileState());
            Optional<FileLock> conflict = firstConflict(state, request);
            if (conflict.isEmpty()) {
                apply(state, request);
                result = new LockResult.Granted(request);
                // The owner's own locks may have been downgraded or shrunk: waiters may now fit.
                granted = grantWaiters(state);
            } else if (!block) {
                dropIfEmpty(request.fileId(), state);
                return new LockResult.Denied(conflict.get());
            } else {
                Pending existing = state.waiters.stream().filter(p -> p.request().equals(request)).findFirst().orElse(null);
                Pending pending = existing != null ? existing : new Pending(nextPendingId++, request);
                if (existing == null) {
                    state.waiters.add(pending);
                }
                return new LockResult.Blocked(pending);
            }
        }
        notifyGranted(granted);
        return result;
    }

    /**
     * NLM_CANCEL: drops the queued request equal to {@code request} (same file, owner, range and
     * type). Returns whether one was waiting; false if it was never queued or already granted.
     */
    public boolean cancel(FileLock request) {
        synchronized (monitor) {
            FileState state = files.get(request.fileId());
            if (state == null) {
                return false;
            }
            boolean removed = state.waiters.removeIf(p -> p.request().equals(request));
            dropIfEmpty(request.fileId(), state);
            return removed;
        }
    }

    /** Drops {@code pending} if it still waits; returns whether it did. */
    public boolean cancel(Pending pending) {
        synchronized (monitor) {
            FileState state = files.get(pending.request().fileId());
            if (state == null) {
                return false;
            }
            boolean removed = state.waiters.remove(pending);
            dropIfEmpty(pending.request().fileId(), state);
            return removed;
        }
    }

    /**
     * NLM_UNLOCK: releases {@code owner}'s locks on {@code range} of the file, splitting a lock that
     * extends past the range. Unlocking what is not held is not an error (NLM answers GRANTED).
     * Returns whether anything was released.
     */
    public boolean unlock(long fileId, LockOwner owner, LockRange range) {
        List<Pending> granted;
        synchronized (monitor) {
            FileState state = files.get(fileId);
            if (state == null || !removeOwnRange(state, owner, range)) {
                return false;
            }
            granted = grantWaiters(state);
            dropIfEmpty(fileId, state);
        }
        notifyGranted(granted);
        return true;
    }

    /**
     * SM_NOTIFY (or FREE_ALL): the client {@code host} rebooted, so all its locks and queued
     * requests are gone, on every file. Returns the number of held locks released.
     */
    public int releaseAll(String host) {
        List<Pending> granted = new ArrayList<>();
        int released = 0;
        synchronized (monitor) {
            Iterator<Map.Entry<Long, FileState>> it = files.entrySet().iterator();
            while (it.hasNext()) {
                FileState state = it.next().getValue();
                state.waiters.removeIf(p -> p.request().owner().host().equals(host));
                int before = state.held.size();
                state.held.removeIf(l -> l.owner().host().equals(host));
                if (state.held.size() != before) {
                    released += before - state.held.size();
                    granted.addAll(grantWaiters(state));
                }
                if (state.isEmpty()) {
                    it.remove();
                }
            }
        }
        notifyGranted(granted);
        return released;
    }

    /** A consistent snapshot of every held lock (for recovery, a grace period, and checks). */
    public List<FileLock> locks() {
        synchronized (monitor) {
            List<FileLock> all = new ArrayList<>();
            files.values().forEach(s -> all.addAll(s.held));
            return all;
        }
    }

    /** A snapshot of the locks held by clients on {@code host}. */
    public List<FileLock> locksOf(String host) {
        return locks().stream().filter(l -> l.owner().host().equals(host)).toList();
    }

    /** A snapshot of the held locks on one file. */
    public List<FileLock> locksOn(long fileId) {
        synchronized (monitor) {
            FileState state = files.get(fileId);
            return state == null ? List.of() : List.copyOf(state.held);
        }
    }

    /** A snapshot of the queued requests, each file's in arrival order. */
    public List<Pending> pending() {
        synchronized (monitor) {
            List<Pending> all = new ArrayList<>();
            files.values().forEach(s -> all.addAll(s.waiters));
            return all;
        }
    }

    private static Optional<FileLock> firstConflict(FileState state, FileLock request) {
        for (FileLock held : state.held) {
            if (held.conflictsWith(request)) {
                return Optional.of(held);
            }
        }
        return Optional.empty();
    }

    /** Installs a lock known not to conflict: replaces the owner's own overlap, then merges. */
    private static void apply(FileState state, FileLock request) {
        removeOwnRange(state, request.owner(), request.range());
        LockRange merged = request.range();
        // With the new range cleared, only same-type neighbours just before or after can touch it.
        Iterator<FileLock> it = state.held.iterator();
        while (it.hasNext()) {
            FileLock l = it.next();
            if (l.owner().equals(request.owner()) && l.exclusive() == request.exclusive() && l.range().touches(merged)) {
                long first = Long.compareUnsigned(l.range().offset(), merged.offset()) < 0 ? l.range().offset() : merged.offset();
                long last = Long.compareUnsigned(l.range().last(), merged.last()) > 0 ? l.range().last() : merged.last();
                merged = LockRange.ofLast(first, last);
                it.remove();
            }
        }
        state.held.add(request.withRange(merged));
    }

    /** Removes {@code owner}'s locks on {@code range}, keeping the parts outside it. */
    private static boolean removeOwnRange(FileState state, LockOwner owner, LockRange range) {
        List<FileLock> remainders = new ArrayList<>();
        boolean changed = false;
        Iterator<FileLock> it = state.held.iterator();
        while (it.hasNext()) {
            FileLock l = it.next();
            if (!l.owner().equals(owner) || !l.range().overlaps(range)) {
                continue;
            }
            it.remove();
            changed = true;
            LockRange r = l.range();
            if (Long.compareUnsigned(r.offset(), range.offset()) < 0) {
                remainders.add(l.withRange(LockRange.ofLast(r.offset(), range.offset() - 1)));
            }
            // range.last() < r.last() implies range does not run to the end, so last() + 1 is safe.
            if (Long.compareUnsigned(range.last(), r.last()) < 0) {
                remainders.add(l.withRange(LockRange.ofLast(range.last() + 1, r.last())));
            }
        }
        state.held.addAll(remainders);
        return changed;
    }

    /**
     * Grants, in arrival order, every waiter that no longer conflicts. A grant can itself release
     * bytes (a waiter's shared lock downgrading its owner's exclusive one), so passes repeat until
     * one grants nothing.
     */
    private static List<Pending> grantWaiters(FileState state) {
        List<Pending> granted = new ArrayList<>();
        boolean progress = true;
        while (progress) {
            progress = false;
            Iterator<Pending> it = state.waiters.iterator();
            while (it.hasNext()) {
                Pending p = it.next();
                if (firstConflict(state, p.request()).isEmpty()) {
                    it.remove();
                    apply(state, p.request());
                    granted.add(p);
                    progress = true;
                }
            }
        }
        return granted;
    }

    private void dropIfEmpty(long fileId, FileState state) {
        if (state.isEmpty()) {
            files.remove(fileId);
        }
    }

    /** Tells the listener of each grant, outside the monitor; one failing call does not stop the rest. */
    private void notifyGranted(List<Pending> granted) {
        RuntimeException first = null;
        for (Pending p : granted) {
            try {
                listener.granted(p);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
