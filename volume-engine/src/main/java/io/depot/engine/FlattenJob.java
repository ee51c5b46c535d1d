package io.depot.engine;

import io.depot.engine.core.FlattenTask;
import java.util.concurrent.TimeUnit;

/** The background copy that makes a full clone independent of its origin. */
public final class FlattenJob {
    private final FlattenTask task;

    FlattenJob(FlattenTask task) { this.task = task; }

    /** Clusters to visit, or -1 while they are still being counted. */
    public long totalClusters() { return task.total(); }

    public long doneClusters() { return task.done(); }

    /** 0.0 to 1.0. */
    public double progress() {
        long total = task.total();
        return task.isFinished() ? 1.0 : total <= 0 ? 0.0 : Math.min(1.0, (double) task.done() / total);
    }

    public boolean isFinished() { return task.isFinished(); }

    /** Stops the copy; the clone stays a working linked clone and the flatten can be started again. */
    public void cancel() { task.cancel(); }

    public boolean isCancelled() { return task.isCancelled(); }

    /** The error that stopped the job, or null. */
    public Throwable error() { return task.error(); }

    /** Waits for the job to end (finished, cancelled or failed); false on timeout. */
    public boolean await(long timeout, TimeUnit unit) throws InterruptedException { return task.await(timeout, unit); }
}
