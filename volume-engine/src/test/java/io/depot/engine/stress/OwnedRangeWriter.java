package io.depot.engine.stress;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A writer of one base volume. It alone writes and unmaps its blocks, so after each change it reads
 * the block back and demands exactly what it last put in every sector ({@link #expected}); it also
 * writes the range all writers share, where the model allows any value a writer may have left.
 */
final class OwnedRangeWriter extends Actor {
    private final VolumeModel volume;
    private final List<SectorRange> blocks;
    private final SectorRange shared;
    /** Identity of this writer's last change per sector of its blocks (0: zeros). */
    private final long[] expected;

    OwnedRangeWriter(StressContext ctx, int actorId, VolumeModel volume, int writerIndex) {
        super(ctx, actorId, volume.name + "/writer" + writerIndex);
        this.volume = volume;
        this.blocks = ctx.layout.ownedByWriter().get(writerIndex);
        this.shared = ctx.layout.shared();
        this.expected = new long[(int) volume.sizeSectors];
    }

    List<SectorRange> blocks() { return blocks; }

    long expected(long sector) { return expected[(int) sector]; }

    @Override
    void step() {
        int r = rnd.nextInt(100);
        if (r < 45) {
            writeOwned();
        } else if (r < 55) {
            unmapOwned();
        } else if (r < 85) {
            writeShared();
        } else {
            SectorRange any = subRange(volume.whole(), 3 * volume.clusterSectors);
            List<String> problems = problems();
            problems.addAll(check(volume.readAndCheck(any, volume.name + " read by " + name, problems), any));
            report(problems);
            ctx.stats.inc("reads verified (base volumes)");
        }
        if (rnd.nextInt(100) == 0) {
            volume.volume().flush();
            ctx.stats.inc("flushes");
        }
    }

    private void writeOwned() {
        SectorRange block = blocks.get(rnd.nextInt(blocks.size()));
        SectorRange r = subRange(block, block.count());
        Op op = ctx.history.begin(Op.Kind.WRITE, volume, r, actorId, name, seq);
        boolean fua = rnd.nextInt(20) == 0;
        ctx.stats.timed("owned write", () -> {
            volume.volume().write(r.byteOffset(), ByteBuffer.wrap(SectorPayload.image(op)), fua);
            return null;
        });
        ctx.history.complete(op);
        for (long s = r.first(); s < r.end(); s++) {
            expected[(int) s] = op.id;
        }
        ctx.stats.inc("owned writes");
        readBack(block, "after " + op);
    }

    private void unmapOwned() {
        SectorRange block = blocks.get(rnd.nextInt(blocks.size()));
        SectorRange r = subRange(block, block.count());
        Op op = ctx.history.begin(Op.Kind.UNMAP, volume, r, actorId, name, seq);
        if (rnd.nextBoolean()) {
            volume.volume().unmap(r.byteOffset(), r.byteLength());
        } else {
            volume.volume().writeZeroes(r.byteOffset(), r.byteLength());
        }
        ctx.history.complete(op);
        for (long s = r.first(); s < r.end(); s++) {
            expected[(int) s] = 0;
        }
        ctx.stats.inc("owned unmaps");
        readBack(block, "after " + op);
    }

    private void writeShared() {
        SectorRange r = subRange(shared, 2 * volume.clusterSectors + 3);
        Op op = ctx.history.begin(Op.Kind.WRITE, volume, r, actorId, name, seq);
        volume.volume().write(r.byteOffset(), ByteBuffer.wrap(SectorPayload.image(op)));
        ctx.history.complete(op);
        ctx.stats.inc("shared-range writes");
        List<String> problems = problems();
        volume.readAndCheck(r, volume.name + " shared range read back by " + name + " after " + op, problems);
        report(problems);
        ctx.stats.inc("reads verified (base volumes)");
    }

    private void readBack(SectorRange block, String when) {
        List<String> problems = problems();
        long[] ids = volume.readAndCheck(block, volume.name + " block read back by " + name + " " + when, problems);
        problems.addAll(check(ids, block));
        report(problems);
        ctx.stats.inc("reads verified (base volumes)");
    }

    /** The exact check of this writer's own sectors within an observed range. */
    List<String> check(long[] ids, SectorRange observed) {
        List<String> problems = problems();
        for (SectorRange block : blocks) {
            long from = Math.max(block.first(), observed.first());
            long to = Math.min(block.end(), observed.end());
            for (long s = from; s < to; s++) {
                long got = ids[(int) (s - observed.first())];
                if (got != expected[(int) s]) {
                    problems.add(volume.name + " sector " + s + " owned by " + name + ": expected exactly "
                            + describe(expected[(int) s]) + ", read " + describe(got));
                    return problems;
                }
            }
        }
        return problems;
    }

    private String describe(long id) {
        return id == 0 ? "zeros" : id < 0 ? "garbage" : String.valueOf(ctx.history.get(id));
    }
}
