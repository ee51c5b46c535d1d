package io.depot.nfs.nlm;

/**
 * A blocked lock request waiting in a {@link LockTable}: NLM4_BLOCKED's promise. It is handed to
 * the {@link GrantListener} when granted (the hook for the NLM_GRANTED callback), or dropped by
 * {@link LockTable#cancel}, or by {@link LockTable#releaseAll} of its host.
 *
 * @param id unique within the table, increasing in the order requests were queued
 * @param request the lock asked for
 */
public record Pending(long id, FileLock request) {}
