package io.depot.nfs.rpc;

import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A program (number, versions, procedures) as registered with an {@link RpcServer}. Build one
 * with {@link #builder}:
 *
 * <pre>{@code
 * RpcProgram.builder(100005, "mount")
 *     .procedure(3, 0, "NULL", (call, args, res) -> args.expectEnd())
 *     .procedure(3, 1, "MNT", this::mnt)
 *     .build();
 * }</pre>
 *
 * <p>The accepted credential flavors apply to every procedure but NULL (procedure 0, which
 * clients ping with AUTH_NONE); a flavor outside the set is refused with AUTH_TOOWEAK.
 */
public final class RpcProgram {
    private final int number;
    private final String name;
    private final Map<Integer, Map<Integer, RpcProcedure>> versions;
    private final Set<Integer> flavors;

    private RpcProgram(int number, String name, Map<Integer, Map<Integer, RpcProcedure>> versions, Set<Integer> flavors) {
        this.number = number;
        this.name = name;
        this.versions = versions;
        this.flavors = flavors;
    }

    public static Builder builder(int number, String name) {
        return new Builder(number, name);
    }

    public int number() { return number; }

    public String name() { return name; }

    public int lowVersion() { return ((TreeMap<Integer, ?>) versions).firstKey(); }

    public int highVersion() { return ((TreeMap<Integer, ?>) versions).lastKey(); }

    public Set<Integer> versions() { return Collections.unmodifiableSet(versions.keySet()); }

    public boolean hasVersion(int version) { return versions.containsKey(version); }

    /** The procedure, or null when the version has no such procedure. */
    public RpcProcedure procedure(int version, int procedure) {
        Map<Integer, RpcProcedure> v = versions.get(version);
        return v == null ? null : v.get(procedure);
    }

    public boolean accepts(int flavor) { return flavors.contains(flavor); }

    /** A copy of this program with one procedure of {@code version} added or replaced (benchmarks swap in a stand-in). */
    public RpcProgram withProcedure(int version, RpcProcedure replacement) {
        if (!versions.containsKey(version)) {
            throw new IllegalArgumentException(name + " has no version " + version);
        }
        TreeMap<Integer, Map<Integer, RpcProcedure>> copy = new TreeMap<>(versions);
        TreeMap<Integer, RpcProcedure> procs = new TreeMap<>(versions.get(version));
        procs.put(replacement.number(), replacement);
        copy.put(version, Collections.unmodifiableMap(procs));
        return new RpcProgram(number, name, copy, flavors);
    }

    @Override
    public String toString() {
        return name + " (program " + number + ", versions " + versions.keySet() + ")";
    }

    public static final class Builder {
        private final int number;
        private final String name;
        private final TreeMap<Integer, Map<Integer, RpcProcedure>> versions = new TreeMap<>();
        private Set<Integer> flavors = Set.of(Rpc.AUTH_NONE, Rpc.AUTH_SYS);

        private Builder(int number, String name) {
            this.number = number;
            this.name = name;
        }

        public Builder procedure(int version, int procedure, String name, RpcHandler handler) {
            return add(version, new RpcProcedure(procedure, name, handler, true));
        }

        /** An idempotent procedure with a fast path tried on the event loop first (see {@link RpcQuickHandler}). */
        public Builder procedure(int version, int procedure, String name, RpcHandler handler, RpcQuickHandler quick) {
            return add(version, new RpcProcedure(procedure, name, handler, true, quick));
        }

        /** As {@link #procedure(int, int, String, RpcHandler, RpcQuickHandler)}, the fast path tried only on an idle connection (see {@link RpcProcedure}). */
        public Builder procedureQuickWhenIdle(int version, int procedure, String name, RpcHandler handler, RpcQuickHandler quick) {
            return add(version, new RpcProcedure(procedure, name, handler, true, quick, true, null));
        }

        /** A procedure whose replies are kept in the duplicate request cache. */
        public Builder nonIdempotentProcedure(int version, int procedure, String name, RpcHandler handler) {
            return add(version, new RpcProcedure(procedure, name, handler, false));
        }

        /**
         * A procedure whose replies are kept in the duplicate request cache, with a fast path on
         * the event loop whose reply waits for its change to be durable (see {@link RpcDeferredHandler}).
         */
        public Builder nonIdempotentProcedure(int version, int procedure, String name, RpcHandler handler,
                                              RpcDeferredHandler deferred) {
            return add(version, new RpcProcedure(procedure, name, handler, false, null, false, deferred));
        }

        private Builder add(int version, RpcProcedure p) {
            Map<Integer, RpcProcedure> procs = versions.computeIfAbsent(version, v -> new TreeMap<>());
            if (procs.putIfAbsent(p.number(), p) != null) {
                throw new IllegalArgumentException("procedure " + p.number() + " of version " + version + " registered twice");
            }
            return this;
        }

        /** The credential flavors accepted for procedures other than NULL (default AUTH_NONE and AUTH_SYS). */
        public Builder acceptedFlavors(int... flavors) {
            Set<Integer> s = new HashSet<>();
            for (int f : flavors) {
                s.add(f);
            }
            this.flavors = Set.copyOf(s);
            return this;
        }

        public RpcProgram build() {
            if (versions.isEmpty()) {
                throw new IllegalStateException("program " + name + " has no procedures");
            }
            TreeMap<Integer, Map<Integer, RpcProcedure>> copy = new TreeMap<>();
            versions.forEach((v, p) -> copy.put(v, Collections.unmodifiableMap(new TreeMap<>(p))));
            return new RpcProgram(number, name, copy, flavors);
        }
    }
}
