package io.depot.nfs.nlm;

/** The answer to {@link LockTable#lock}: NLM4_GRANTED, NLM4_DENIED with the holder, or NLM4_BLOCKED. */
public sealed interface LockResult {
    /** The lock is held. */
    record Granted(FileLock lock) implements LockResult {}

    /** Refused (non-blocking request): {@code holder} is the first lock in the way. */
    record Denied(FileLock holder) implements LockResult {}

    /** Queued (blocking request): granted later through the {@link GrantListener}, unless cancelled. */
    record Blocked(Pending pending) implements LockResult {}
}
