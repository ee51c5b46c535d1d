package io.depot.iscsi.scsi;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The unit attention conditions of one logical unit, queued per I_T nexus (SAM-5 §5.14). Each
 * nexus sees its conditions oldest first, one per command, without duplicates. Only nexuses that
 * logged in (registered) receive conditions raised "for every nexus".
 */
final class UnitAttentions {
    private final ConcurrentHashMap<ItNexus, Queue> queues = new ConcurrentHashMap<>();

    /** A nexus logged in, or this LU appeared while it was logged in. */
    void register(ItNexus nexus, SenseReason initial) {
        Queue q = queues.computeIfAbsent(nexus, n -> new Queue());
        if (initial != null) {
            q.add(initial);
        }
    }

    void unregister(ItNexus nexus) { queues.remove(nexus); }

    /** Raises a condition for one nexus (the Reservations sink; unknown nexuses get a queue). */
    void raise(ItNexus nexus, SenseReason reason) {
        queues.computeIfAbsent(nexus, n -> new Queue()).add(reason);
    }

    /** Raises a condition for every registered nexus except {@code except} (may be null). */
    void raiseForOthers(ItNexus except, SenseReason reason) {
        queues.forEach((nexus, q) -> {
            if (!nexus.equals(except)) {
                q.add(reason);
            }
        });
    }

    /** Takes the oldest condition of a nexus, or null. */
    SenseReason take(ItNexus nexus) {
        Queue q = queues.get(nexus);
        return q == null ? null : q.take();
    }

    /** Removes one condition if it is pending (REPORT LUNS clears REPORTED LUNS DATA CHANGED, SPC-4 §6.33). */
    void clear(ItNexus nexus, SenseReason reason) {
        Queue q = queues.get(nexus);
        if (q != null) {
            q.remove(reason);
        }
    }

    private static final class Queue {
        private final ArrayDeque<SenseReason> pending = new ArrayDeque<>(4);
        /** Lets the hot path skip the lock when nothing is pending. */
        private volatile boolean empty = true;

        synchronized void add(SenseReason reason) {
            if (!pending.contains(reason)) {
                pending.addLast(reason);
                empty = false;
            }
        }

        SenseReason take() {
            if (empty) {
                return null;
            }
            synchronized (this) {
                SenseReason r = pending.pollFirst();
                empty = pending.isEmpty();
                return r;
            }
        }

        synchronized void remove(SenseReason reason) {
            pending.remove(reason);
            empty = pending.isEmpty();
        }
    }
}
