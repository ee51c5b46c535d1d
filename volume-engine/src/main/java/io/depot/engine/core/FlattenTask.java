package io.depot.engine.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Progress of one flatten of a linked clone: clusters done of clusters to visit; cancellable, awaitable. */
public final class FlattenTask {
    private static final Logger log = LoggerFactory.getLogger(FlattenTask.class);

    private final VolumeState clone;
    private final Consumer<FlattenTask> work;
    private final CountDownLatch end = new CountDownLatch(1);
    private volatile long total = -1;
    private volatile long done;
    private volatile boolean cancelled;
    private volatile boolean finished;
    private volatile Throwable error;

    /** @param work the copy itself (see {@link Clones}), run by {@link #run()} */
    FlattenTask(VolumeState clone, Consumer<FlattenTask> work) {
        this.clone = clone;
        this.work = work;
    }

    VolumeState volume() { return clone; }

    /** Clusters to visit, or -1 while they are still being counted. */
    public long total() { return total; }

    public long done() { return done; }

    public boolean isFinished() { return finished; }

    public boolean isCancelled() { return cancelled; }

    public Throwable error() { return error; }

    public void cancel() { cancelled = true; }

    public boolean await(long timeout, TimeUnit unit) throws InterruptedException { return end.await(timeout, unit); }

    void counted(long clusters) { total = clusters; }

    void advanced() { done++; }   // one worker thread runs the task: no lost update

    void markFinished() { finished = true; }

    boolean hasEnded() { return end.getCount() == 0; }

    void awaitQuietly() {
        try {
            end.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void run() {
        try {
            work.accept(this);
        } catch (Throwable t) {
            error = t;
            log.error("flatten of volume {} failed: {}", clone.name(), t.toString());
        } finally {
            end.countDown();   // the task stays visible (progress, error) until the next flatten or a delete
        }
    }
}
