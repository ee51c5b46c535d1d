package io.depot.engine.crash;

import io.depot.engine.PoolTuning;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import io.depot.engine.core.Engine;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The process that {@link KillNineCrashTest} kills with SIGKILL. It opens (or creates) the crash pool,
 * then several threads write, overwrite, unmap, flush, snapshot and delete snapshots forever, keeping a
 * {@link JournalWriter journal} of what they did and what the engine acknowledged as durable.
 *
 * <p>Usage: {@code CrashWorker POOL_DIR JOURNAL SEED FIRST_WRITE_ID ITERATION THREADS}. It prints
 * {@value #PROGRESS} once it has done real work (so the killer knows it is mid-flight), and
 * {@value #FAILED} followed by the reason if it sees anything wrong before it is killed.
 *
 * <p>Snapshots quiesce only the volumes they capture (through {@link #snapshotGates}), so the journal
 * says exactly what each snapshot holds; the other volumes' writes stay in flight.
 */
public final class CrashWorker {
    static final String PROGRESS = "CRASH-WORKER PROGRESS";
    static final String FAILED = "CRASH-WORKER FAILED";
    /** Snapshots per volume above which the worker deletes instead of taking another. */
    private static final int MAX_SNAPSHOTS = 4;
    private static final int OPS_BEFORE_PROGRESS = 40;

    private final Pool pool;
    private final Volume[] volumes = new Volume[CrashLayout.VOLUMES];
    private final JournalWriter journal;
    /** Writers hold a volume's gate shared; snapshots of it hold it exclusively. */
    private final ReentrantReadWriteLock[] snapshotGates = new ReentrantReadWriteLock[CrashLayout.VOLUMES];
    private final RangeLock[] ranges = new RangeLock[CrashLayout.VOLUMES];
    /** One snapshot create or delete at a time, so two threads never delete the same snapshot. */
    private final Object snapshotAdmin = new Object();
    private final AtomicInteger snapshotCounter = new AtomicInteger();
    private final AtomicLong opsDone = new AtomicLong();
    private final AtomicLong durablePoints = new AtomicLong();
    private final CountDownLatch progressed = new CountDownLatch(1);
    private final int iteration;

    private CrashWorker(Pool pool, JournalWriter journal, int iteration) {
        this.pool = pool;
        this.journal = journal;
        this.iteration = iteration;
        for (int v = 0; v < CrashLayout.VOLUMES; v++) {
            snapshotGates[v] = new ReentrantReadWriteLock();
            ranges[v] = new RangeLock();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.out.println(FAILED + " usage: CrashWorker POOL_DIR JOURNAL SEED FIRST_WRITE_ID ITERATION THREADS");
            System.exit(2);
        }
        Path poolDir = Path.of(args[0]);
        Path journalPath = Path.of(args[1]);
        long seed = Long.parseLong(args[2]);
        long firstId = Long.parseLong(args[3]);
        int iteration = Integer.parseInt(args[4]);
        int threads = Integer.parseInt(args[5]);
        Random setup = new Random(seed);
        // vary the background commit cadence so crashes catch the ticker at different phases
        long[] commitIntervals = {20, 250, 1000};
        PoolTuning tuning = new PoolTuning(64L << 20, commitIntervals[setup.nextInt(commitIntervals.length)], true);
        try {
            Pool pool = Pool.exists(poolDir)
                    ? Pool.open(poolDir, tuning)
                    : Pool.create(poolDir, new PoolOptions(CrashLayout.CLUSTER_SIZE, CrashLayout.POOL_CAPACITY, null), tuning);
            JournalWriter journal = new JournalWriter(journalPath, firstId);
            CrashWorker worker = new CrashWorker(pool, journal, iteration);
            worker.openVolumes();
            worker.run(threads, setup.nextLong());
        } catch (Throwable t) {
            fail(t);
        }
    }

    private void openVolumes() {
        List<String> existing = pool.volumes().stream().map(Volume::name).toList();
        for (int v = 0; v < CrashLayout.VOLUMES; v++) {
            String name = CrashLayout.volumeName(v);
            volumes[v] = existing.contains(name) ? pool.volume(name) : pool.createVolume(name, CrashLayout.VOLUME_SIZE);
        }
    }

    private void run(int threads, long seed) throws InterruptedException {
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Random rnd = new Random(seed + t);
            Thread th = new Thread(() -> loop(rnd), "crash-worker-" + t);
            th.setDaemon(true);
            th.start();
            started.add(th);
        }
        if (!progressed.await(60, TimeUnit.SECONDS)) {
            fail(new IllegalStateException("no progress within 60 s: " + opsDone.get() + " ops, " + durablePoints.get() + " durable points"));
        }
        System.out.println(PROGRESS + " ops=" + opsDone.get());
        System.out.flush();
        // Run until killed; a worker nobody kills must not live forever.
        Thread.sleep(120_000);
        fail(new IllegalStateException("not killed within 120 s"));
    }

    private void loop(Random rnd) {
        try {
            while (true) {
                int vol = rnd.nextInt(CrashLayout.VOLUMES);
                int r = rnd.nextInt(1000);
                // durability points (flush, snapshot, delete) cost fsyncs: keep them rare enough that
                // plenty of unflushed writes are in flight at the kill
                if (r < 860) {
                    write(rnd, vol);
                } else if (r < 910) {
                    unmap(rnd, vol);
                } else if (r < 960) {
                    flush(rnd, vol);
                } else if (r < 985) {
                    snapshot(rnd, vol);
                } else {
                    deleteSnapshot(rnd, vol);
                }
                if (opsDone.incrementAndGet() >= OPS_BEFORE_PROGRESS && durablePoints.get() > 0) {
                    progressed.countDown();
                }
            }
        } catch (Throwable t) {
            fail(t);
        }
    }

    /** A write of 4 KiB..256 KiB (mostly small), sometimes whole aligned clusters, sometimes FUA. */
    private void write(Random rnd, int vol) throws InterruptedException {
        long[] range = pickRange(rnd, rnd.nextInt(4) == 0 ? 8 + rnd.nextInt(505) : 8 + rnd.nextInt(57));
        long offset = range[0];
        int length = (int) range[1];
        boolean fua = rnd.nextInt(40) == 0;
        snapshotGates[vol].readLock().lock();
        try {
            ranges[vol].lock(offset, length);
            try {
                long covered = journal.completions();
                long id = journal.writeIntent(vol, offset, length, fua);
                ByteBuffer data = ByteBuffer.allocate(length);
                SectorPayload.fill(data, id, vol, offset / CrashLayout.SECTOR, length / CrashLayout.SECTOR);
                data.flip();
                volumes[vol].write(offset, data, fua);
                journal.completed(id);
                if (fua) {
                    journal.fuaDurable(id, covered);
                    durablePoints.incrementAndGet();
                }
                if (rnd.nextInt(10) == 0) {
                    readBack(vol, offset, length, id);
                }
            } finally {
                ranges[vol].unlock(offset, length);
            }
        } finally {
            snapshotGates[vol].readLock().unlock();
        }
    }

    /** Reads a range just written (still locked, so nothing else wrote it since) and checks every sector. */
    private void readBack(int vol, long offset, int length, long id) {
        ByteBuffer got = ByteBuffer.allocate(length);
        volumes[vol].read(offset, got);
        for (int s = 0; s < length / CrashLayout.SECTOR; s++) {
            SectorPayload.Identity who = SectorPayload.identify(got, s * CrashLayout.SECTOR);
            long sector = offset / CrashLayout.SECTOR + s;
            if (who.kind() != SectorPayload.Identity.Kind.PAYLOAD || who.writeId() != id || who.volume() != vol || who.sector() != sector) {
                throw new IllegalStateException("read-back after write " + id + ": volume " + vol + " sector " + sector
                        + " holds " + who.describe());
            }
        }
    }

    private void unmap(Random rnd, int vol) throws InterruptedException {
        long[] range = pickRange(rnd, 8 + rnd.nextInt(1017));
        long offset = range[0];
        long length = range[1];
        snapshotGates[vol].readLock().lock();
        try {
            ranges[vol].lock(offset, length);
            try {
                long id = journal.unmapIntent(vol, offset, length);
                if (rnd.nextBoolean()) {
                    volumes[vol].unmap(offset, length);
                } else {
                    volumes[vol].writeZeroes(offset, length);
                }
                journal.completed(id);
            } finally {
                ranges[vol].unlock(offset, length);
            }
        } finally {
            snapshotGates[vol].readLock().unlock();
        }
    }

    /**
     * Picks {@code sectors} sectors inside one zone; one time in six it rounds the range out to whole
     * clusters (when the zone allows), the path where the engine writes or frees a cluster outright.
     */
    private static long[] pickRange(Random rnd, int sectors) {
        int zone = CrashLayout.zoneForPercent(rnd.nextInt(100));
        long zoneStart = CrashLayout.zoneOffset(zone);
        long zoneLength = CrashLayout.zoneLength(zone);
        long length = Math.min((long) sectors * CrashLayout.SECTOR, zoneLength);
        long offset = zoneStart + CrashLayout.SECTOR * (long) rnd.nextInt((int) ((zoneLength - length) / CrashLayout.SECTOR) + 1);
        if (rnd.nextInt(6) == 0) {
            long cs = CrashLayout.CLUSTER_SIZE;
            long start = (offset + cs - 1) / cs * cs;
            long clusters = Math.max(1, length / cs);
            if (start + clusters * cs <= zoneStart + zoneLength) {
                return new long[] {start, clusters * cs};
            }
        }
        return new long[] {offset, length};
    }

    private void flush(Random rnd, int vol) {
        long covered = journal.completions();
        if (rnd.nextBoolean()) {
            pool.flush();
        } else {
            volumes[vol].flush();
        }
        journal.durable(covered);
        durablePoints.incrementAndGet();
    }

    /** Snapshots one volume, or one time in five all of them as a consistency group. */
    private void snapshot(Random rnd, int vol) {
        synchronized (snapshotAdmin) {
            if (volumes[vol].snapshots().size() >= MAX_SNAPSHOTS) {
                deleteOne(rnd, vol);
                return;
            }
            int[] group = rnd.nextInt(5) == 0 && allBelowLimit() ? allVolumes() : new int[] {vol};
            for (int v : group) {
                snapshotGates[v].writeLock().lock();
            }
            try {
                String name = "i" + iteration + "s" + snapshotCounter.incrementAndGet();
                journal.snapshotBegin(name, group, journal.completions());
                if (group.length == 1) {
                    volumes[vol].createSnapshot(name);
                } else {
                    pool.snapshotGroup(name, volumes);
                }
                journal.snapshotDone(name);
                durablePoints.incrementAndGet();
            } finally {
                for (int i = group.length - 1; i >= 0; i--) {
                    snapshotGates[group[i]].writeLock().unlock();
                }
            }
        }
    }

    private boolean allBelowLimit() {
        for (Volume v : volumes) {
            if (v.snapshots().size() >= MAX_SNAPSHOTS) {
                return false;
            }
        }
        return true;
    }

    private static int[] allVolumes() {
        int[] all = new int[CrashLayout.VOLUMES];
        for (int v = 0; v < all.length; v++) {
            all[v] = v;
        }
        return all;
    }

    /** Deletes a snapshot while the volume's writes stay in flight. */
    private void deleteSnapshot(Random rnd, int vol) {
        synchronized (snapshotAdmin) {
            deleteOne(rnd, vol);
        }
    }

    private void deleteOne(Random rnd, int vol) {
        List<Snapshot> snaps = volumes[vol].snapshots();
        if (snaps.isEmpty()) {
            return;
        }
        Snapshot victim = snaps.get(rnd.nextInt(snaps.size()));
        journal.deleteBegin(vol, victim.name());
        victim.delete();
        journal.deleteDone(vol, victim.name());
    }

    private static void fail(Throwable t) {
        java.io.StringWriter trace = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(trace));
        System.out.println(FAILED + " " + t + "\n" + trace);
        System.out.flush();
        Runtime.getRuntime().halt(3);
    }
}
