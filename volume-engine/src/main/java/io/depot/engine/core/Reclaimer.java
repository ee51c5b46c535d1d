package io.depot.engine.core;

import io.depot.engine.store.MetaBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees the space of deleted volumes. A delete only marks the volume ({@code R vol} in the store, in
 * the same commit as its last staged writes); its mappings, deadlist and snapshot records are then
 * removed and their clusters freed in bounded atomic steps, in the background, safe to interrupt at
 * any point.
 */
final class Reclaimer {
    private static final Logger log = LoggerFactory.getLogger(Reclaimer.class);
    /** Keys removed per atomic step. */
    private static final int STEP = 8192;

    private final PoolContext ctx;
    /**
     * Deleted volumes whose clusters are still to be reclaimed: the R keys of the store, kept in
     * memory so a delete does not rescan the store's queue (whose tombstones pile up as volumes
     * come and go); filled at open, added to at delete, emptied by the reclaim.
     */
    private final Set<Long> pending = ConcurrentHashMap.newKeySet();
    /** One run at a time: two runs scanning the same volume could free a cluster twice. */
    private final ReentrantLock running = new ReentrantLock();
    private final Object done = new Object();

    Reclaimer(PoolContext ctx) {
        this.ctx = ctx;
    }

    /** Loads the store's queue (at open); true if there is anything to reclaim. */
    boolean loadQueue() {
        pending.addAll(storedQueue());
        return !pending.isEmpty();
    }

    /** The volumes the store lists as awaiting reclaim. */
    List<Long> storedQueue() {
        List<Long> ids = new ArrayList<>();
        ctx.meta.scan(Keys.prefix(Keys.RECLAIM), Keys.prefixEnd(Keys.RECLAIM), (k, v) -> ids.add(Keys.field(k, 0)));
        return ids;
    }

    /**
     * Deletes a volume (under the admin lock): with its I/O drained, the volume's record goes and its
     * reclaim is queued in one commit that carries (and so lands before reclaim sees) every staged
     * mapping of it.
     */
    void delete(VolumeState v) {
        v.drainIo();
        try {
            v.markDeleted();
            MetaBatch batch = new MetaBatch().delete(Keys.volume(v.id())).put(Keys.reclaim(v.id()), new byte[0]);
            ctx.openPages.forgetVolume(v.id(), batch);
            ctx.pipeline.stage(batch, null);
            ctx.pipeline.flush();
            pending.add(v.id());
        } finally {
            v.resumeIo();
        }
    }

    /** Frees the clusters of every deleted volume queued now. */
    void reclaimAll() {
        running.lock();
        try {
            reclaimQueued();
        } finally {
            running.unlock();
        }
        synchronized (done) {
            done.notifyAll();
        }
    }

    /** Waits until no deleted volume awaits reclaim; false on timeout. */
    boolean await(long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (done) {
            while (!pending.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                done.wait(left);
            }
        }
        return true;
    }

    /** Runs {@code check} with no reclaim step under way (a reclaim changes mappings and the allocator together). */
    <T> T whileQuiet(Supplier<T> check) {
        running.lock();
        try {
            return check.get();
        } finally {
            running.unlock();
        }
    }

    private void reclaimQueued() {
        List<Long> queue = new ArrayList<>(pending);
        Collections.sort(queue);
        for (long vol : queue) {
            if (ctx.isClosing()) {
                return;
            }
            long freed = 0;
            for (byte type : new byte[] {Keys.MAPPING, Keys.DEAD, Keys.SNAPSHOT, Keys.OPEN}) {
                while (!ctx.isClosing()) {
                    MetaBatch batch = new MetaBatch();
                    RoaringBitmap frees = new RoaringBitmap();
                    ctx.meta.scan(Keys.prefix(type, vol), Keys.prefixEnd(type, vol), (k, v) -> {
                        batch.delete(k);
                        if (type == Keys.MAPPING && MappingValue.isData(MappingValue.decode(v))) {
                            frees.add((int) MappingValue.phys(MappingValue.decode(v)));
                        }
                        return batch.size() < STEP;
                    });
                    if (batch.isEmpty()) {
                        break;
                    }
                    freed += frees.getCardinality();
                    ctx.pipeline.stage(batch, frees);
                    ctx.pipeline.flush();
                }
            }
            if (ctx.isClosing()) {
                return;
            }
            // its frees are durable (each step flushed): the queue entry can go with the next group commit;
            // should it not reach the store before a crash, the next open reclaims nothing and drops it
            ctx.pipeline.stage(new MetaBatch().delete(Keys.reclaim(vol)), null);
            pending.remove(vol);
            log.info("reclaimed {} clusters of deleted volume {}", freed, vol);
        }
    }
}
