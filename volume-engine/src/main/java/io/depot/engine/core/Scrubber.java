package io.depot.engine.core;

import io.depot.engine.InvalidIoException;
import io.depot.engine.ScrubStatus;
import io.depot.engine.ScrubStatus.Mode;
import io.depot.engine.ScrubStatus.State;
import io.depot.engine.store.MetaBatch;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's scrub: one at a time, on its own thread ({@code depot-scrub}), walking the mappings with a
 * {@link ScrubTask}. Its progress is kept in the pool ({@link ScrubProgress}) and saved about once a
 * second, riding the next commit; a scrub that was running when the pool closed (or crashed) resumes
 * from its last saved key when the pool opens again. A cancelled or failed one resumes on request.
 */
final class Scrubber {
    private static final Logger log = LoggerFactory.getLogger(Scrubber.class);

    private final PoolContext ctx;
    private final Volumes volumes;
    private final ScrubProgress progress;
    private Thread thread;
    private volatile boolean stopRequested;
    private volatile boolean cancelRequested;

    Scrubber(PoolContext ctx, Volumes volumes) {
        this.ctx = ctx;
        this.volumes = volumes;
        this.progress = ScrubProgress.decode(ctx.meta.get(Keys.setting(ScrubProgress.KEY)));
    }

    ScrubStatus status() { return progress.status(); }

    /** Starts a new walk from the first mapping; refused while one runs. */
    synchronized ScrubStatus start(Mode mode, long bandwidth) {
        if (bandwidth < 0) {
            throw new InvalidIoException("scrub bandwidth must be 0 (unlimited) or positive, not " + bandwidth);
        }
        refuseIfRunning();
        progress.reset(mode, bandwidth, ctx.allocator.usedClusters());
        log.info("{} started: {} clusters allocated, bandwidth cap {}", what(), progress.clustersTotal,
                bandwidth == 0 ? "none" : (bandwidth >> 20) + " MiB/s");
        launch();
        return status();
    }

    /** Continues a cancelled, failed or interrupted walk from its last saved key. */
    synchronized ScrubStatus resume() {
        refuseIfRunning();
        synchronized (progress) {
            if (progress.state == State.NEVER || progress.state == State.DONE) {
                throw new InvalidIoException("no scrub to resume (" + progress.state.name().toLowerCase() + ")");
            }
            progress.state = State.RUNNING;
            progress.ended = null;
        }
        log.info("{} resumed after {} of {} clusters", what(), progress.clustersChecked + progress.clustersUpgraded, progress.clustersTotal);
        launch();
        return status();
    }

    /** At open: a walk that was running when the pool last closed goes on. */
    synchronized void resumeInterrupted() {
        if (progress.state == State.RUNNING && thread == null) {
            log.info("{} was running when the pool closed: resuming where it was", what());
            launch();
        }
    }

    /** Stops the running walk; it can be resumed. False if none ran. */
    boolean cancel() {
        Thread t;
        synchronized (this) {
            t = thread;
            if (t == null) {
                return false;
            }
            cancelRequested = true;
        }
        join(t);
        return true;
    }

    /** Waits up to {@code timeoutMillis} for the walk to end; returns the status then. */
    ScrubStatus await(long timeoutMillis) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.join(Math.max(1, timeoutMillis));
        }
        return status();
    }

    /** The pool is closing: stops the walk, leaving it RUNNING so the next open resumes it. */
    void close() {
        Thread t;
        synchronized (this) {
            t = thread;
            stopRequested = true;
        }
        if (t != null) {
            join(t);
        }
    }

    private void refuseIfRunning() {
        if (thread != null) {
            throw new InvalidIoException("a scrub is already running (cancel it first)");
        }
    }

    private void launch() {
        cancelRequested = false;
        stopRequested = false;
        save();
        ctx.pipeline.flush();   // durably running: a crash from now on resumes it at the next open
        Thread t = new Thread(this::walk, "depot-scrub");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void walk() {
        ScrubTask task = new ScrubTask(ctx, volumes, progress, () -> stopRequested || cancelRequested || ctx.isClosing(), this::save);
        State end;
        try {
            end = task.run() ? State.DONE : cancelRequested ? State.CANCELLED : State.RUNNING;
            if (end == State.DONE && progress.mode == Mode.UPGRADE) {
                ctx.damage.unverifiedClusters(countUnverified());
            }
        } catch (RuntimeException e) {
            log.error("{} failed (resume it to retry from where it stopped)", what(), e);
            end = State.FAILED;
        }
        synchronized (progress) {
            progress.state = end;
            progress.ended = end == State.RUNNING ? null : Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        }
        try {
            save();
            if (end != State.RUNNING) {
                ctx.pipeline.flush();
            }
        } catch (RuntimeException e) {
            log.warn("could not save the scrub's progress: {}", e.toString());
        }
        ScrubStatus s = status();
        if (end == State.DONE) {
            log.info("{} done in {}: {} clusters ({} MiB) verified, {} unverified, {} upgraded, {} damaged blocks", what(), s.duration(),
                    s.clustersChecked(), s.bytesChecked() >> 20, s.clustersUnverified(), s.clustersUpgraded(), s.damagedBlocks());
        } else if (end == State.CANCELLED) {
            log.info("{} cancelled after {} clusters", what(), s.clustersChecked() + s.clustersUpgraded());
        }
        synchronized (this) {
            thread = null;
        }
    }

    /** Data mappings still without CRCs (the store only; cheap next to reading the data). */
    private long countUnverified() {
        ctx.pipeline.flush();
        long[] n = {0};
        ctx.meta.scan(Keys.prefix(Keys.MAPPING), Keys.prefixEnd(Keys.MAPPING), (k, v) -> {
            long value = MappingValue.decode(v);
            if (MappingValue.isData(value) && !MappingValue.hasChecksums(value)) {
                n[0]++;
            }
            return true;
        });
        return n[0];
    }

    private void save() {
        ctx.pipeline.stage(new MetaBatch().put(Keys.setting(ScrubProgress.KEY), progress.encode()), -1);
    }

    private String what() { return progress.mode == Mode.UPGRADE ? "format upgrade" : "scrub"; }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
