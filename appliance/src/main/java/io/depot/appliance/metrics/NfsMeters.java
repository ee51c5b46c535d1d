package io.depot.appliance.metrics;

import io.depot.nfs.NfsGateway;
import io.depot.nfs.rpc.ProcedureObserver;
import io.depot.nfs.rpc.ProcedureObservers;
import io.depot.nfs.rpc.RpcProcedure;
import io.depot.nfs.rpc.RpcProgram;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * NFS gateway meters: {@code depot_nfs_call_seconds{program, version, procedure}}, one latency
 * histogram per procedure of every program served (program "nfs", procedure "READ", ...), timed
 * from the call header being read to the reply being built; the RPC dispatcher asks once per
 * procedure. And the lock manager's state, read when scraped: {@code depot_nfs_locks},
 * {@code depot_nfs_lock_waiters}, {@code depot_nfs_lock_clients}.
 */
final class NfsMeters implements ProcedureObservers {
    static final String CALL = "depot.nfs.call";

    private final MeterRegistry registry;

    NfsMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Gauges of the lock manager's held locks, blocked requests and monitored client hosts. */
    static void lockGauges(MeterRegistry registry, NfsGateway nfs) {
        Gauge.builder("depot.nfs.locks", nfs, n -> n.locks().lockCount())
                .description("Byte-range locks held by NFS clients (NLM)").strongReference(true).register(registry);
        Gauge.builder("depot.nfs.lock.waiters", nfs, n -> n.locks().waiting().size())
                .description("Blocking NLM lock requests waiting for a conflicting lock to go").strongReference(true).register(registry);
        Gauge.builder("depot.nfs.lock.clients", nfs, n -> n.statusMonitor().monitoredHosts().size())
                .description("Client hosts recorded as holding monitored locks (told to reclaim after a restart)")
                .strongReference(true).register(registry);
    }

    @Override
    public ProcedureObserver forProcedure(RpcProgram program, int version, RpcProcedure procedure) {
        Timer timer = Latency.timer(registry, CALL, "RPC calls executed by the NFS gateway (MOUNT and NFS), header to reply",
                Tags.of("program", program.name(), "version", Integer.toString(version), "procedure", procedure.name()));
        return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
    }
}
