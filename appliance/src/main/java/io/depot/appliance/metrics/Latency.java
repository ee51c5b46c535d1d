package io.depot.appliance.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The latency histogram every Depot timer shares: fixed buckets from 50 µs to 2.5 s (15 series a
 * timer, so per-volume and per-opcode histograms stay affordable), enough to tell a cache hit from
 * a disk read from a group commit, and to compute quantiles with histogram_quantile().
 */
final class Latency {
    private static final Duration[] BUCKETS = {
            micros(50), micros(100), micros(250), micros(500),
            millis(1), micros(2500), millis(5), millis(10), millis(25), millis(50),
            millis(100), millis(250), millis(500), millis(1000), millis(2500),
    };

    private Latency() {}

    static Timer timer(MeterRegistry registry, String name, String description, Tags tags) {
        return Timer.builder(name).description(description).tags(tags)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    private static Duration micros(long n) { return Duration.ofNanos(n * 1000); }

    private static Duration millis(long n) { return Duration.ofMillis(n); }
}
