package io.depot.engine.store;

import java.util.ArrayList;
import java.util.List;

/**
 * An ordered list of puts and deletes applied as one atomic unit. It never splits itself:
 * a logical change of copy-on-write metadata must land whole or not at all.
 */
public final class MetaBatch {
    /** A put (value non-null) or a delete (value null). */
    public record Op(byte[] key, byte[] value) {}

    private final List<Op> ops = new ArrayList<>();

    public MetaBatch put(byte[] key, byte[] value) {
        ops.add(new Op(key, value));
        return this;
    }

    public MetaBatch delete(byte[] key) {
        ops.add(new Op(key, null));
        return this;
    }

    public MetaBatch addAll(MetaBatch other) {
        ops.addAll(other.ops);
        return this;
    }

    public List<Op> ops() { return ops; }

    public int size() { return ops.size(); }

    public boolean isEmpty() { return ops.isEmpty(); }
}
