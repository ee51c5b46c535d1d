package io.depot.appliance.metrics;

import io.depot.iscsi.fabric.CommandObserver;
import io.depot.iscsi.fabric.CommandObservers;
import io.depot.iscsi.fabric.IscsiServer;
import io.depot.iscsi.scsi.OpcodeNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * iSCSI target meters: {@code depot_iscsi_sessions}, {@code depot_iscsi_connections} (read when
 * scraped), and per SCSI operation code {@code depot_iscsi_command_seconds{opcode}} (arrival to
 * status) and {@code depot_iscsi_command_errors_total{opcode}} (answered with anything but GOOD).
 * The target asks for an opcode's observer once and keeps it in a table indexed by opcode.
 */
final class IscsiMeters implements CommandObservers {
    static final String COMMAND = "depot.iscsi.command";
    static final String ERRORS = "depot.iscsi.command.errors";

    private final MeterRegistry registry;

    /** @param server the running target's server, asked for its counts at each scrape (it changes on restart) */
    IscsiMeters(MeterRegistry registry, Supplier<IscsiServer> server) {
        this.registry = registry;
        Gauge.builder("depot.iscsi.sessions", server, s -> s.get() == null ? 0 : s.get().sessionCount())
                .description("Logged-in iSCSI sessions (discovery sessions not counted)").strongReference(true).register(registry);
        Gauge.builder("depot.iscsi.connections", server, s -> s.get() == null ? 0 : s.get().connectionCount())
                .description("Open iSCSI TCP connections").strongReference(true).register(registry);
    }

    @Override
    public CommandObserver forOpcode(int opcode) {
        Tags tags = Tags.of("opcode", OpcodeNames.of(opcode));
        Timer timer = Latency.timer(registry, COMMAND, "SCSI commands answered by the iSCSI target, arrival to status", tags);
        Counter errors = Counter.builder(ERRORS).description("SCSI commands answered with a status other than GOOD")
                .tags(tags).register(registry);
        return (nanos, good) -> {
            timer.record(nanos, TimeUnit.NANOSECONDS);
            if (!good) {
                errors.increment();
            }
        };
    }
}
