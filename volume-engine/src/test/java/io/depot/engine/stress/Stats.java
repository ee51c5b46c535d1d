package io.depot.engine.stress;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters of what a run did, printed at the end so a green run shows it actually worked. */
final class Stats {
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    void add(String what, long n) { counters.computeIfAbsent(what, k -> new LongAdder()).add(n); }

    void inc(String what) { add(what, 1); }

    long get(String what) {
        LongAdder a = counters.get(what);
        return a == null ? 0 : a.sum();
    }

    void max(String what, long value) {
        LongAdder a = counters.computeIfAbsent(what, k -> new LongAdder());
        synchronized (a) {
            if (value > a.sum()) {
                a.add(value - a.sum());
            }
        }
    }

    /** Runs {@code call} and keeps the slowest duration seen under {@code what}, in milliseconds. */
    <T> T timed(String what, java.util.function.Supplier<T> call) {
        long t0 = System.nanoTime();
        try {
            return call.get();
        } finally {
            max("slowest " + what + " (ms)", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    String summary() {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(counters).forEach((k, v) -> b.append("  ").append(k).append(": ").append(v.sum()).append('\n'));
        return b.toString();
    }
}
