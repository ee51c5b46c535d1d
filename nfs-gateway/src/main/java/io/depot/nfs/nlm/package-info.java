/**
 * The Network Lock Manager (NLM v1, v3 and v4, program 100021): {@link io.depot.nfs.nlm.NlmService}
 * over the byte-range {@link io.depot.nfs.nlm.LockTable} and the share reservations of
 * {@link io.depot.nfs.nlm.ShareTable}, with grant callbacks for blocked locks, the
 * {@link io.depot.nfs.nlm.GracePeriod} after a restart, and the hooks the status monitor (NSM) plugs
 * into: {@link io.depot.nfs.nlm.HostMonitor} and {@link io.depot.nfs.nlm.NlmService#hostRebooted}.
 * See docs/nfs.md, "Locking".
 */
package io.depot.nfs.nlm;
