package io.depot.engine.sim;

import java.util.HashSet;
import java.util.Set;

/**
 * What the reference model knows of one 512-byte sector of a volume's head. Values are write
 * numbers; 0 means zeros.
 *
 * <p>{@code durable} is the value last acknowledged as durable; {@code since} holds every value
 * written after that (any of them may be what a power cut leaves); {@code current} is the last one
 * written, which a read must return while the pool runs.
 */
final class SectorState {
    long durable;
    long current;
    final Set<Long> since = new HashSet<>();

    SectorState(long durable) {
        this.durable = durable;
        this.current = durable;
    }

    SectorState copy() {
        SectorState s = new SectorState(durable);
        s.current = current;
        s.since.addAll(since);
        return s;
    }

    void write(long value) {
        current = value;
        since.add(value);
    }

    /** A flush acknowledged everything written so far. */
    void promote() {
        durable = current;
        since.clear();
    }

    boolean allowedAfterCrash(long value) {
        return value == durable || since.contains(value);
    }

    /** True when the sector is indistinguishable from one never written (the model can forget it). */
    boolean isPlainZero() {
        return durable == 0 && current == 0 && since.isEmpty();
    }

    @Override
    public String toString() {
        return since.isEmpty() ? "durable " + durable : "durable " + durable + ", since " + since + ", current " + current;
    }
}
