package io.depot.nfs.fs;

import io.depot.engine.Catalog;
import io.depot.engine.CatalogNamespace;
import io.depot.engine.DurabilityCallback;
import io.depot.engine.EngineException;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one way a durable namespace change reaches the store. Every change of the datastore's
 * records (inodes, entries, export snapshots, the clean mark) goes through here and nowhere
 * else, so that where durability is decided is visible in one class.
 *
 * <p>The records live in the pool's catalog ({@link NamespaceKeys#NAMESPACE}), and durability is
 * the engine's: a change is staged in the pool's commit pipeline (applied at once, visible to
 * reads, without a sync) and numbered with the <em>ticket</em> of the commit that makes it
 * durable; it is durable once {@link #awaitDurable} returns for that ticket, or once
 * {@link #whenDurable} says so. That commit also makes durable every volume write completed
 * before the ticket was given, so a stable WRITE (data, mappings and the inode's new size) pays
 * one commit, shared with every concurrent caller. Tickets are ordered: a durable ticket makes
 * every earlier one durable too (the metadata log is replayed in order after a crash).
 *
 * <p>RFC 1813 §4.7 lets a client assume a modifying procedure's change is on stable storage when
 * the reply arrives: every namespace procedure replies only after its ticket is durable, but for
 * SETATTR without a size, which is not among §1.6's synchronous procedures ({@link #commitSoon}).
 */
final class NamespaceLog {
    /**
     * How long a change answered before its commit may wait for another change's commit to carry
     * it: the Linux client's next CREATE comes well within this, so an exclusive create (CREATE,
     * then SETATTR) costs one commit, not two.
     */
    static final long COMMIT_SOON_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final ScheduledExecutorService LATER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "nfs-commit-soon");
        t.setDaemon(true);
        return t;
    });

    /** What {@link #tryApply} answers when it changed nothing. */
    static final long NOT_APPLIED = Catalog.REFUSED;

    private final Catalog catalog;
    private final CatalogNamespace<byte[]> records;
    /** The ticket of the last change staged; tickets only grow, as changes are staged under the namespace lock. */
    private volatile long lastTicket;
    private final AtomicLong changes = new AtomicLong();

    NamespaceLog(Catalog catalog, CatalogNamespace<byte[]> records) {
        this.catalog = catalog;
        this.records = records;
    }

    /** Applies {@code changes} (null values delete) atomically without waiting for a commit; its ticket. */
    long apply(Map<String, byte[]> changes) {
        return staged(records.stage(changes));
    }

    /**
     * As {@link #apply}, unless the store would make the caller wait (it throttles writers): then
     * changes nothing and answers {@link #NOT_APPLIED}. For an event loop.
     */
    long tryApply(Map<String, byte[]> changes) {
        long ticket = records.tryStage(changes);
        return ticket == NOT_APPLIED ? NOT_APPLIED : staged(ticket);
    }

    private long staged(long ticket) {
        changes.incrementAndGet();
        if (ticket > lastTicket) {
            lastTicket = ticket;
        }
        return ticket;
    }

    /** Applies {@code changes} and returns once they are durable (rare changes: export snapshots, the clean mark). */
    void applyDurably(Map<String, byte[]> changes) {
        awaitDurable(apply(changes));
    }

    /** The ticket of the last change applied (0: none yet); awaiting it covers every change visible now. */
    long lastTicket() { return lastTicket; }

    /**
     * A ticket covering every change applied and every volume write completed so far: what a
     * COMMIT waits for, whether or not it changed an inode.
     */
    long ticketForAll() { return catalog.ticket(); }

    /**
     * Makes ticket {@code ticket} durable without anyone waiting for it: by the next commit that
     * covers it (another change's), or at the latest by one started {@link #COMMIT_SOON_NANOS}
     * from now. Failures surface to the next change that waits.
     */
    void commitSoon(long ticket) {
        LATER.schedule(() -> {
            if (!catalog.isDurable(ticket)) {
                try {
                    catalog.whenDurable(ticket, durable -> { });
                } catch (EngineException e) {
                    // the pool closed meanwhile: its close made every staged change durable or failed
                }
            }
        }, COMMIT_SOON_NANOS, TimeUnit.NANOSECONDS);
    }

    /**
     * Returns once ticket {@code ticket} (and every one before it) is durable.
     *
     * @throws EngineException the commit that should have covered it failed
     */
    void awaitDurable(long ticket) { catalog.await(ticket); }

    /**
     * Calls {@code done} once ticket {@code ticket} is durable ({@code true}) or its commit failed
     * ({@code false}): always on the pool's commit-syncer thread, never this one, so {@code done}
     * must only hand work on (e.g. to an event loop).
     */
    void whenDurable(long ticket, DurabilityCallback done) { catalog.whenDurable(ticket, done); }

    /** Namespace changes applied since the datastore opened. */
    long changes() { return changes.get(); }
}
