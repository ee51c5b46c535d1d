package io.depot.engine.stress;

/**
 * One engine operation the model knows about: a write, an unmap (zeroes) or a compare-and-write
 * over a run of sectors of one volume. Its id is the logical time it began (unique); {@link #end}
 * is the time it returned, {@link Long#MAX_VALUE} while it is in flight.
 */
final class Op {
    enum Kind { WRITE, UNMAP, COMPARE_AND_WRITE }

    final long id;
    final Kind kind;
    final VolumeModel volume;
    final SectorRange range;
    final int actorId;
    final String actor;
    final long seq;
    volatile long end = Long.MAX_VALUE;
    /** Set when the operation did not apply (a compare-and-write that lost its round). */
    volatile boolean failed;

    Op(long id, Kind kind, VolumeModel volume, SectorRange range, int actorId, String actor, long seq) {
        this.id = id;
        this.kind = kind;
        this.volume = volume;
        this.range = range;
        this.actorId = actorId;
        this.actor = actor;
        this.seq = seq;
    }

    long start() { return id; }

    @Override
    public String toString() {
        return "op#" + id + " (" + kind + " by " + actor + " #" + seq + " on " + volume.name + " " + range
                + ", t" + id + "-" + (end == Long.MAX_VALUE ? "in flight" : "t" + end) + (failed ? ", did not apply" : "") + ")";
    }
}
