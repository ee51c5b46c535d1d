package io.depot.nfs.nlm;

/**
 * Told when a blocked request has been granted: the lock is already held by the requester, and
 * the protocol layer sends NLM_GRANTED to the client (and unlocks again if the client refuses it).
 * Called outside the table's lock, in the thread whose release made the grant possible, so it may
 * call back into the table; it should not block for long.
 */
@FunctionalInterface
public interface GrantListener {
    /** A listener that does nothing (tables whose callers only poll). */
    GrantListener NONE = pending -> {};

    /** {@code pending}'s lock is now held. */
    void granted(Pending pending);
}
