package io.depot.appliance.metrics;

import io.depot.engine.Pool;
import io.depot.engine.VolumeIoObservers;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.rpc.ProcedureObservers;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.fabric.CommandObservers;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's metrics (docs/appliance.md, "Metrics"): one Prometheus registry, the observers it
 * installs in the engine, the iSCSI target and the NFS gateway, the pool and job gauges, and the
 * JVM and process binders. {@link #scrape()} renders the Prometheus text format for {@code GET /metrics}.
 */
public final class DepotMetrics implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DepotMetrics.class);
    /** Content type of {@link #scrape()}: the Prometheus text exposition format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Pool pool;
    private final IscsiService iscsi;
    private final NfsGateway nfs;
    private final PoolGauges poolGauges;
    private final JobGauges jobGauges;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /**
     * Starts observing the pool and the services that are on ({@code iscsi} and {@code nfs} may be
     * null; the iSCSI target must have been started).
     */
    public DepotMetrics(Pool pool, IscsiService iscsi, NfsGateway nfs) {
        this.pool = pool;
        this.iscsi = iscsi;
        this.nfs = nfs;
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        poolGauges = new PoolGauges(registry, pool);
        jobGauges = new JobGauges(registry, pool);
        IntegrityMeters.bind(registry, pool.integrity());
        ScrubMeters.bind(registry, pool);
        pool.observeIo(new VolumeIoMeters(registry));
        IscsiMeters iscsiMeters = new IscsiMeters(registry, () -> iscsi == null ? null : iscsi.server());
        if (iscsi != null) {
            iscsi.server().observeCommands(iscsiMeters);
        }
        if (nfs != null) {
            nfs.observeCalls(new NfsMeters(registry));
            NfsMeters.lockGauges(registry, nfs);
        }
    }

    /** Every meter in the Prometheus text format, with the pool and job figures of this instant. */
    public String scrape() {
        poolGauges.refresh();
        jobGauges.refresh();
        return registry.scrape();
    }

    /** Detaches the observers (the services go back to observing nothing) and closes the registry. */
    @Override
    public void close() {
        try {
            pool.observeIo(VolumeIoObservers.NONE);
        } catch (RuntimeException e) {
            // a pool whose commit pipeline failed refuses admin changes; its shutdown must go on
            log.warn("could not detach the volume I/O meters: {}", e.toString());
        }
        if (iscsi != null && iscsi.server() != null) {
            iscsi.server().observeCommands(CommandObservers.NONE);
        }
        if (nfs != null) {
            nfs.observeCalls(ProcedureObservers.NONE);
        }
        gc.close();
        registry.close();
    }
}
