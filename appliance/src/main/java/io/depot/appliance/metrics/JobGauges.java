package io.depot.appliance.metrics;

import io.depot.engine.FlattenJob;
import io.depot.engine.Pool;
import io.depot.engine.Volume;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Background jobs (today: the flatten of a full clone), as the API's {@code /jobs} shows them:
 * {@code depot_job_progress_ratio{job, kind, volume, state}} from 0 to 1 for each job, and
 * {@code depot_jobs{kind, state}} counting them by state. Rebuilt at each scrape by
 * {@link #refresh()}; a job stays listed after it ends until the clone's next flatten or deletion.
 */
final class JobGauges {
    static final List<String> STATES = List.of("running", "finished", "cancelled", "failed");

    private final Pool pool;
    private final MultiGauge progress;
    private final MultiGauge counts;

    JobGauges(MeterRegistry registry, Pool pool) {
        this.pool = pool;
        this.progress = MultiGauge.builder("depot.job.progress").baseUnit("ratio")
                .description("Progress of a background job, 0 to 1").register(registry);
        this.counts = MultiGauge.builder("depot.jobs").description("Background jobs by state").register(registry);
        refresh();
    }

    void refresh() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        Map<String, Integer> byState = new LinkedHashMap<>();
        STATES.forEach(s -> byState.put(s, 0));
        for (Volume v : pool.volumes()) {
            FlattenJob j = v.flattenJob();
            if (j == null) {
                continue;
            }
            String state = j.error() != null ? "failed" : j.isFinished() ? "finished" : j.isCancelled() ? "cancelled" : "running";
            byState.merge(state, 1, Integer::sum);
            rows.add(MultiGauge.Row.of(Tags.of("job", v.uuid().toString(), "kind", "flatten", "volume", v.name(), "state", state),
                    j.progress()));
        }
        progress.register(rows, true);
        List<MultiGauge.Row<?>> countRows = new ArrayList<>();
        byState.forEach((state, n) -> countRows.add(MultiGauge.Row.of(Tags.of("kind", "flatten", "state", state), n)));
        counts.register(countRows, true);
    }
}
