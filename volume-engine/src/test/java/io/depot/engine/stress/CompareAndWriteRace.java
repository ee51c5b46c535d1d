package io.depot.engine.stress;

import io.depot.engine.CompareMismatchException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Two racers compare-and-write the same range at once, round after round, both expecting the
 * range's current contents: exactly one must win each round, the range must then be entirely the
 * winner's, and a reader watching each cluster of the range must never see a half-applied one.
 * The range straddles a cluster boundary and shares clusters with the writers' shared range.
 */
final class CompareAndWriteRace {
    private static final long BARRIER_TIMEOUT_SECONDS = 60;

    private final StressContext ctx;
    private final VolumeModel volume;
    private final SectorRange range;
    private final CyclicBarrier start;
    private final CyclicBarrier end;
    private final Op[] attempts = new Op[2];
    private final boolean[] won = new boolean[2];
    // written by barrier actions, read by the racers after the barrier (which orders them)
    private boolean roundOn;
    private long round;
    private byte[] current;

    CompareAndWriteRace(StressContext ctx, VolumeModel volume) {
        this.ctx = ctx;
        this.volume = volume;
        this.range = ctx.layout.compareAndWrite();
        this.current = new byte[range.byteLength()];   // never written yet: zeros
        this.start = new CyclicBarrier(2, () -> {
            roundOn = ctx.running() && round < ctx.config.maxOpsPerActor();
            round++;
        });
        this.end = new CyclicBarrier(2, this::judge);
    }

    List<Actor> actors(int firstActorId) {
        return List.of(new Racer(firstActorId, 0), new Racer(firstActorId + 1, 1), new Watcher(firstActorId + 2));
    }

    /** Runs in the last racer to finish a round, while the other waits. */
    private void judge() {
        try {
            int winners = (won[0] ? 1 : 0) + (won[1] ? 1 : 0);
            if (winners != 1) {
                ctx.failures.report("compare-and-write judge", "round " + round + " on " + volume.name + " " + range + ": "
                        + winners + " of 2 racers succeeded, both expecting the same current contents: " + attempts[0] + ", " + attempts[1]);
                return;
            }
            Op winner = won[0] ? attempts[0] : attempts[1];
            List<String> problems = Actor.problems();
            long[] ids = volume.readAndCheck(range, volume.name + " compare-and-write range after round " + round, problems);
            for (int i = 0; i < ids.length && problems.isEmpty(); i++) {
                if (ids[i] != winner.id) {
                    problems.add(volume.name + " sector " + (range.first() + i) + " after compare-and-write round " + round
                            + ": expected the winner " + winner + ", read " + (ids[i] == 0 ? "zeros" : ctx.history.get(ids[i])));
                }
            }
            ctx.failures.reportAll("compare-and-write judge", problems);
            current = SectorPayload.image(winner);
            ctx.stats.inc("compare-and-write rounds (exactly one winner)");
        } catch (Throwable t) {
            ctx.failures.unexpected("compare-and-write judge", t);
        }
    }

    private final class Racer extends Actor {
        private final int index;

        Racer(int actorId, int index) {
            super(CompareAndWriteRace.this.ctx, actorId, volume.name + "/caw-racer" + index);
            this.index = index;
        }

        @Override
        public void run() {
            try {
                while (true) {
                    start.await(BARRIER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    if (!roundOn) {
                        return;
                    }
                    seq++;
                    step();
                    end.await(BARRIER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                }
            } catch (BrokenBarrierException e) {
                // the other racer failed and broke the barrier; it reported why
            } catch (TimeoutException e) {
                ctx.failures.report(name, "the other racer did not reach the barrier within " + BARRIER_TIMEOUT_SECONDS + " s (hung?)");
            } catch (Throwable t) {
                ctx.failures.unexpected(name + " in round " + seq, t);
                start.reset();
                end.reset();
            }
        }

        @Override
        void step() {
            Op op = ctx.history.begin(Op.Kind.COMPARE_AND_WRITE, volume, range, actorId, name, seq);
            attempts[index] = op;
            won[index] = false;
            try {
                volume.volume().compareAndWrite(range.byteOffset(), ByteBuffer.wrap(current), ByteBuffer.wrap(SectorPayload.image(op)));
                ctx.history.complete(op);
                won[index] = true;
            } catch (CompareMismatchException lost) {
                ctx.history.fail(op);
            }
        }
    }

    /** Reads each cluster's part of the range (the engine reads a cluster atomically) and the whole range. */
    private final class Watcher extends Actor {
        Watcher(int actorId) {
            super(CompareAndWriteRace.this.ctx, actorId, volume.name + "/caw-watcher");
        }

        @Override
        void step() {
            List<SectorRange> parts = ctx.layout.compareAndWriteParts();
            int pick = rnd.nextInt(3);
            SectorRange r = pick < 2 ? parts.get(pick) : range;
            List<String> problems = problems();
            long[] ids = volume.readAndCheck(r, volume.name + " compare-and-write range read by " + name, problems);
            if (pick < 2) {
                for (int i = 1; i < ids.length; i++) {
                    if (ids[i] != ids[0]) {
                        problems.add(volume.name + " " + r + " (one cluster): half-applied compare-and-write seen: sector "
                                + r.first() + " holds op#" + ids[0] + ", sector " + (r.first() + i) + " holds op#" + ids[i]);
                        break;
                    }
                }
            }
            report(problems);
            ctx.stats.inc("compare-and-write range reads verified");
            // pacing only (not synchronisation): leave the two cores to the racers and writers
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
    }
}
