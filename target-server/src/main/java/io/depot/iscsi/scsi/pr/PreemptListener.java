package io.depot.iscsi.scsi.pr;

import io.depot.iscsi.scsi.ItNexus;
import java.util.Set;

/**
 * Told when PERSISTENT RESERVE OUT PREEMPT or PREEMPT AND ABORT removed other nexuses'
 * registrations. For PREEMPT AND ABORT ({@code abort} true) the fabric must abort every task of
 * those nexuses on this logical unit (SPC-4 §5.9.11.5), as for ABORT TASK SET, except the PREEMPT
 * AND ABORT command itself. The call is made after the new reservation state is in force and
 * before the PERSISTENT RESERVE OUT command completes, on the thread that runs it.
 */
@FunctionalInterface
public interface PreemptListener {

    /**
     * @param requester the nexus that sent the PREEMPT
     * @param preempted the nexuses (known to this logical unit) whose registrations were removed;
     *                  never includes {@code requester}; may be empty
     * @param abort     true for PREEMPT AND ABORT
     */
    void preempted(ItNexus requester, Set<ItNexus> preempted, boolean abort);
}
