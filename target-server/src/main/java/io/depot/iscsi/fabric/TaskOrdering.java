package io.depot.iscsi.fabric;

import io.depot.iscsi.scsi.TaskAttribute;
import java.util.ArrayDeque;

/**
 * Task attributes (SAM-5 §8.6) for the tasks of one session: SIMPLE tasks run concurrently; an
 * ORDERED task starts when every earlier task has finished, and later tasks wait for it; HEAD OF
 * QUEUE starts at once. (Ordering across initiators is what reservations and COMPARE AND WRITE
 * are for.) Touched only on the connection's event loop.
 */
final class TaskOrdering {
    /** Tasks whose data is complete but whose attribute makes them wait (ORDERED, or behind one). */
    private final ArrayDeque<IscsiTask> held = new ArrayDeque<>();
    private int running;
    private boolean orderedRunning;

    /** True if the task may start now; otherwise it is held until {@link #nextToStart} returns it. */
    boolean admit(IscsiTask task) {
        boolean ordered = task.attribute == TaskAttribute.ORDERED;
        if (task.attribute != TaskAttribute.HEAD_OF_QUEUE
                && (!held.isEmpty() || orderedRunning || (ordered && running > 0))) {
            held.add(task);
            return false;
        }
        return true;
    }

    void started(IscsiTask task) {
        running++;
        if (task.attribute == TaskAttribute.ORDERED) {
            orderedRunning = true;
        }
    }

    void finished(IscsiTask task) {
        running--;
        if (task.attribute == TaskAttribute.ORDERED) {
            orderedRunning = false;
        }
    }

    /** The next held task that may start now, taken off the queue: SIMPLE ones until an ORDERED one, which waits until nothing runs. */
    IscsiTask nextToStart() {
        IscsiTask next = held.peek();
        if (next == null || orderedRunning || (next.attribute == TaskAttribute.ORDERED && running > 0)) {
            return null;
        }
        return held.poll();
    }

    /** Forgets a held task (aborted before it started). */
    void remove(IscsiTask task) { held.remove(task); }
}
