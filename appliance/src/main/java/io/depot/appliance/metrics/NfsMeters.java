package io.depot.appliance.metrics;

import io.depot.nfs.rpc.ProcedureObserver;
import io.depot.nfs.rpc.ProcedureObservers;
import io.depot.nfs.rpc.RpcProcedure;
import io.depot.nfs.rpc.RpcProgram;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * NFS gateway meters: {@code depot_nfs_call_seconds{program, version, procedure}}, one latency
 * histogram per MOUNT and NFS procedure (program "nfs", procedure "READ", ...), timed from the
 * call header being read to the reply being built. The RPC dispatcher asks once per procedure.
 */
final class NfsMeters implements ProcedureObservers {
    static final String CALL = "depot.nfs.call";

    private final MeterRegistry registry;

    NfsMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public ProcedureObserver forProcedure(RpcProgram program, int version, RpcProcedure procedure) {
        Timer timer = Latency.timer(registry, CALL, "RPC calls executed by the NFS gateway (MOUNT and NFS), header to reply",
                Tags.of("program", program.name(), "version", Integer.toString(version), "procedure", procedure.name()));
        return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
    }
}
