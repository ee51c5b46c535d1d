package io.depot.engine;

import io.depot.engine.core.CommitPipeline;
import io.depot.engine.core.CommitSyncer;
import io.depot.engine.store.MetadataStore;

/**
 * The pool's catalog: small durable records of the layers above the engine (NFS inodes and
 * entries, iSCSI targets and reservations, schedules), in namespaces ({@link #namespace}), made
 * durable by the same commits as volume data.
 *
 * <p>There is one durability authority per pool, its commit pipeline. A catalog change can be
 * applied durably ({@link CatalogNamespace#apply}), or staged: {@link CatalogNamespace#stage}
 * applies it atomically and visibly at once (written to the metadata log without a sync) and
 * returns a <em>ticket</em>, the number of the commit that will make it durable. That commit
 * also makes durable every volume write completed and every change staged before the ticket was
 * given, so a caller that stages a change and then waits for its ticket (or flushes a volume)
 * pays one commit for all of it. Wait for a ticket with {@link #await} on a thread that may
 * block, or with {@link #whenDurable} on one that must not (an event loop). A crash keeps a
 * prefix of the staged changes in the order they were staged, and every change whose ticket was
 * reported durable.
 */
public final class Catalog {
    /** What {@link CatalogNamespace#tryStage} returns when staging would have had to wait. */
    public static final long REFUSED = -1;

    private final MetadataStore meta;
    /** Makes the commits tickets wait for; its pipeline stages the changes and numbers the commits. */
    private final CommitSyncer syncer;
    private final CommitPipeline commits;

    Catalog(MetadataStore meta, CommitSyncer syncer) {
        this.meta = meta;
        this.syncer = syncer;
        this.commits = syncer.pipeline();
    }

    /** The namespace {@code name} (such as {@code "nfs"} or {@code "iscsi"}) with raw byte values. */
    public CatalogNamespace<byte[]> namespace(String name) {
        return namespace(name, CatalogCodec.BYTES);
    }

    /** The namespace {@code name} with values encoded by {@code codec}. */
    public <V> CatalogNamespace<V> namespace(String name, CatalogCodec<V> codec) {
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("a catalog namespace is a non-empty name without '/': " + name);
        }
        return new CatalogNamespace<>(this, name + "/", codec);
    }


    /**
     * A ticket for everything done so far without staging anything: volume writes completed and
     * changes staged before this call are durable once it is.
     */
    public long ticket() { return commits.openTicket(); }

    /**
     * Returns once {@code ticket}'s commit (and every earlier one) is durable, making or sharing
     * that commit with other waiters.
     *
     * @throws StorageIoException that commit failed (the pool refuses changes until reopened), or the pool closed first
     */
    public void await(long ticket) { syncer.await(ticket); }

    /**
     * Calls {@code callback} exactly once, on the pool's commit-syncer thread (never this one), with
     * {@code true} once {@code ticket}'s commit is durable or {@code false} once it failed. For a
     * caller that must not block: an event loop holding a reply until its change is durable.
     */
    public void whenDurable(long ticket, DurabilityCallback callback) { syncer.whenDurable(ticket, callback); }

    /** True once {@code ticket}'s commit is durable: a check that never waits. */
    public boolean isDurable(long ticket) { return commits.durableSeq() >= ticket; }

    /** Commits, data-file syncs and metadata-log syncs made since the pool opened. */
    public CommitCounters commitCounters() {
        return new CommitCounters(commits.commits(), commits.dataSyncs(), commits.walSyncs());
    }


    MetadataStore store() { return meta; }

    CommitPipeline pipeline() { return commits; }
}
