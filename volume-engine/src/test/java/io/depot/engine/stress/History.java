package io.depot.engine.stress;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The global order of events: a logical clock ticked before and after every engine call, and every
 * operation ever begun, by id. Ticks are what lets a check tell "completed before the read began"
 * from "concurrent with it" without trusting wall-clock time.
 */
final class History {
    private final AtomicLong clock = new AtomicLong();
    private final Map<Long, Op> ops = new ConcurrentHashMap<>();

    long tick() { return clock.incrementAndGet(); }

    /** Registers an operation just before it is handed to the engine. */
    Op begin(Op.Kind kind, VolumeModel volume, SectorRange range, int actorId, String actor, long seq) {
        Op op = new Op(tick(), kind, volume, range, actorId, actor, seq);
        ops.put(op.id, op);
        volume.begun(op);
        return op;
    }

    /** The engine call returned successfully. */
    void complete(Op op) {
        op.end = tick();
        op.volume.completed(op);
    }

    /** The engine call returned without applying the operation. */
    void fail(Op op) {
        op.failed = true;
        op.end = tick();
    }

    Op get(long id) { return ops.get(id); }

    long operations() { return ops.size(); }
}
