package io.depot.nfs.fs;

import io.depot.engine.EngineException;
import io.depot.engine.Settings;
import java.util.Map;

/**
 * The one way a durable namespace change reaches the store. Every change of the datastore's
 * settings (inodes, entries, export snapshots, the clean mark) goes through here and nowhere
 * else, so that where durability is decided can be replaced in one class.
 *
 * <p>A change is applied at once (visible to reads) without a sync and numbered with a
 * <em>ticket</em>; it is durable once {@link #awaitDurable} returns for that ticket, or once
 * {@link #whenDurable} says so. Tickets are ordered: a durable ticket makes every earlier one
 * durable too (the log is replayed in order after a crash). Today the changes go to
 * {@link Settings} and share syncs through {@link GroupSync}.
 */
final class NamespaceLog {
    /** What {@link #tryApply} answers when it changed nothing. */
    static final long NOT_APPLIED = -1;

    /** Told once a change is durable ({@code true}) or once the sync meant to make it so failed ({@code false}). */
    @FunctionalInterface
    interface Completion {
        void done(boolean durable);
    }

    private final Settings settings;
    private final GroupSync sync;

    NamespaceLog(Settings settings) {
        this.settings = settings;
        this.sync = new GroupSync(settings);
    }

    /** Applies {@code changes} (null values delete) atomically without waiting for a sync; its ticket. */
    long apply(Map<String, byte[]> changes) {
        settings.applyUnsynced(changes);
        return sync.applied();
    }

    /**
     * As {@link #apply}, unless the store would make the caller wait (it throttles writers): then
     * changes nothing and answers {@link #NOT_APPLIED}. For an event loop.
     */
    long tryApply(Map<String, byte[]> changes) {
        if (!settings.tryApplyUnsynced(changes)) {
            return NOT_APPLIED;
        }
        return sync.applied();
    }

    /** Applies {@code changes} and returns once they are durable (rare changes: export snapshots, the clean mark). */
    void applyDurably(Map<String, byte[]> changes) {
        settings.apply(changes);
    }

    /** The ticket of the last change applied (0: none yet); awaiting it covers everything visible now. */
    long lastTicket() { return sync.lastApplied(); }

    /**
     * Returns once change {@code ticket} (and every one before it) is durable.
     *
     * @throws EngineException the sync that should have covered it failed
     */
    void awaitDurable(long ticket) { sync.awaitDurable(ticket); }

    /**
     * Calls {@code done} once change {@code ticket} is durable or its sync failed: at once on this
     * thread if that is already so, else on the syncing thread (so {@code done} must only hand
     * work on, e.g. to an event loop).
     */
    void whenDurable(long ticket, Completion done) { sync.whenDurable(ticket, done); }

    /** Syncs made so far; fewer than changes when concurrent ones shared a sync. */
    long syncs() { return sync.syncs(); }
}
