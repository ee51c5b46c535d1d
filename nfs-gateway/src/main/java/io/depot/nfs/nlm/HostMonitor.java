package io.depot.nfs.nlm;

import java.net.InetSocketAddress;

/**
 * Where the lock manager reports the hosts it must hear about when they reboot: the status
 * monitor (NSM), which remembers them in the pool, tells them (SM_NOTIFY) when Depot restarts so
 * they reclaim their locks, and calls {@link NlmService#hostRebooted} when one of them reboots.
 * Called once per host when a monitored lock (LOCK, not NM_LOCK) is first granted to it, and again
 * after the host rebooted and locks again; the grant is answered only once this returns (on a
 * worker or callback thread, never the event loop), so it may block until the host is durably
 * recorded.
 */
@FunctionalInterface
public interface HostMonitor {
    /** Monitors nobody (tests, and a gateway without a status monitor). */
    HostMonitor NONE = (host, client) -> {};

    /**
     * Start monitoring {@code host}.
     *
     * @param host the client's normalised {@code caller_name} ({@link HostNames#normalise}); its
     *             SM_NOTIFY's {@code mon_name} names it the same way
     * @param client the address the client's lock request came from
     */
    void monitor(String host, InetSocketAddress client);
}
