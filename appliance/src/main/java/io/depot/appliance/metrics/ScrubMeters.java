package io.depot.appliance.metrics;

import io.depot.engine.Pool;
import io.depot.engine.ScrubStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The pool's scrub (or format upgrade), read from its status at scrape time:
 * {@code depot_scrub_running} (1 while one runs), {@code depot_scrub_bytes_checked} (bytes verified by
 * the current or last one), {@code depot_scrub_damaged_blocks} (damaged blocks it found),
 * {@code depot_scrub_last_duration_seconds} (how long the last finished one took) and
 * {@code depot_scrub_last_end_timestamp_seconds} (when it ended, 0 if none has).
 */
final class ScrubMeters {
    private ScrubMeters() {}

    static void bind(MeterRegistry registry, Pool pool) {
        gauge(registry, pool, "depot.scrub.running", "1 while a scrub or format upgrade runs", s -> s.running() ? 1 : 0);
        gauge(registry, pool, "depot.scrub.bytes.checked", "Bytes read and verified by the current or last scrub", ScrubStatus::bytesChecked);
        gauge(registry, pool, "depot.scrub.damaged.blocks", "Damaged 4 KiB blocks the current or last scrub found", ScrubStatus::damagedBlocks);
        gauge(registry, pool, "depot.scrub.last.duration.seconds", "Duration of the last finished scrub",
                s -> s.ended() == null ? 0 : s.duration().toMillis() / 1000.0);
        gauge(registry, pool, "depot.scrub.last.end.timestamp.seconds", "When the last scrub ended (Unix time), 0 if none has",
                s -> s.ended() == null ? 0 : s.ended().toEpochMilli() / 1000.0);
    }

    private static void gauge(MeterRegistry registry, Pool pool, String name, String help, ToDoubleFunction<ScrubStatus> value) {
        Gauge.builder(name, pool, p -> value.applyAsDouble(p.scrubStatus())).description(help).strongReference(true).register(registry);
    }
}
