/**
 * Network Lock Manager (NLM v4) support, in progress (issue #13). Today only the lock table the
 * protocol will sit on: {@link io.depot.nfs.nlm.LockTable}, byte-range shared/exclusive locks
 * per file with POSIX/NLM conflict rules, blocked waiters and their grant callbacks. The NLM and
 * NSM programs, their portmapper registration and the grace period are not built yet.
 */
package io.depot.nfs.nlm;
