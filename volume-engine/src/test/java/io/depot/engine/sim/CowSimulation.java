package io.depot.engine.sim;

import io.depot.engine.PoolTuning;
import io.depot.engine.DependentClonesException;
import io.depot.engine.OutOfSpaceException;
import io.depot.engine.StorageIoException;
import io.depot.engine.core.Engine;
import io.depot.engine.core.SnapshotRef;
import io.depot.engine.core.VolumeState;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;

/**
 * One seeded run of the copy-on-write engine over simulated stores: a random mix of I/O and
 * administrative operations on a few volumes, power cuts between and inside operations, and after
 * each cut a reopen checked against a {@link ReferenceModel}.
 *
 * <p>Everything is driven by one {@link Random} and the engine runs no threads ({@code background}
 * false), so a seed replays exactly. A failure names the seed and the operation index.
 */
final class CowSimulation {
    /**
     * 4 KiB by default (one checksummed block per cluster); 16 KiB runs the sub-cluster copy-on-write
     * (overlays of four blocks) through the same operations and power cuts.
     */
    private final int CLUSTER;
    private final int SECTORS_PER_CLUSTER;
    /** 128 clusters: small enough that snapshots and clones fill the pool and out-of-space paths run. */
    private final long CAPACITY;
    /** The engine's mapping page covers this many clusters; write hot spots sit one per page so the cache must evict. */
    static final int CLUSTERS_PER_PAGE = 1024;
    static final long MIN_SIZE = 1L << 20;
    static final long MAX_SIZE = 256L << 20;
    /** 256 KiB of cache is the engine's floor of 64 pages: fewer than the pages the volumes touch (up to 64 each). */
    static final int CACHE_PAGES = 64;
    static final PoolTuning OPTIONS = new PoolTuning(256L << 10, 1000, false);

    /** Counters reported at the end of a run. */
    static final class Stats {
        long operations, writes, unmaps, flushes, snapshots, snapshotDeletes, rollbacks, clones, flattened,
                volumeDeletes, resizes, outOfSpace, refusedDependent, boundaryCrashes, midOperationCrashes,
                commitFailures, checkpoints, sectorsChecked, pageLoads, enginesBeyondCache;

        void add(Stats o) {
            operations += o.operations; writes += o.writes; unmaps += o.unmaps; flushes += o.flushes;
            snapshots += o.snapshots; snapshotDeletes += o.snapshotDeletes; rollbacks += o.rollbacks;
            clones += o.clones; flattened += o.flattened; volumeDeletes += o.volumeDeletes; resizes += o.resizes;
            outOfSpace += o.outOfSpace; refusedDependent += o.refusedDependent; boundaryCrashes += o.boundaryCrashes;
            midOperationCrashes += o.midOperationCrashes; commitFailures += o.commitFailures;
            checkpoints += o.checkpoints; sectorsChecked += o.sectorsChecked; pageLoads += o.pageLoads;
            enginesBeyondCache += o.enginesBeyondCache;
        }

        @Override
        public String toString() {
            return operations + " ops: " + writes + " writes, " + unmaps + " unmaps, " + flushes + " flushes, "
                    + snapshots + " snapshots, " + snapshotDeletes + " snapshot deletes, " + rollbacks + " rollbacks, "
                    + clones + " clones (" + flattened + " flattened), " + volumeDeletes + " volume deletes, "
                    + resizes + " resizes, " + outOfSpace + " out-of-space, " + refusedDependent + " refused (clones), "
                    + boundaryCrashes + " crashes between ops, " + midOperationCrashes + " crashes inside ops, "
                    + commitFailures + " failed commits, " + checkpoints + " checkpoints, "
                    + sectorsChecked + " sectors checked, " + pageLoads + " mapping page loads (" + enginesBeyondCache
                    + " engine lifetimes loaded more pages than the cache holds, so it evicted)";
        }
    }

    /** An operation: what it does to the engine and the model, and what a crash inside it may leave. */
    private record Op(String description, Runnable action, Function<ReferenceModel, List<ReferenceModel>> crashOutcomes) {}

    /** Full checks without a crash every this many operations ({@code -Ddepot.sim.checkEvery=1} to pin down a failure). */
    private static final int CHECK_EVERY = Integer.getInteger("depot.sim.checkEvery", 25);

    private final long seed;
    private final int operations;
    private final Random random;
    private final Random probeRandom;   // for checks only: checking more often must not change the operations
    private final CrashSwitch crashSwitch;
    private final SimulatedMetadataStore meta;
    private SimulatedBlockStore blocks;
    private Engine engine;
    private ReferenceModel model = new ReferenceModel();
    private final Map<Long, String> volumeNames = new HashMap<>();   // model id -> name, for reports
    private final ArrayDeque<String> history = new ArrayDeque<>();
    private final Stats stats = new Stats();
    private int opIndex = -1;
    private long writeCounter;
    private long volumeCounter;
    private long nameCounter;

    CowSimulation(long seed, int operations) {
        this(seed, operations, 4096);
    }

    CowSimulation(long seed, int operations, int clusterSize) {
        this.CLUSTER = clusterSize;
        this.SECTORS_PER_CLUSTER = clusterSize / SectorStamp.SIZE;
        this.CAPACITY = 128L * clusterSize;
        this.seed = seed;
        this.operations = operations;
        // scrambled: java.util.Random's first outputs for neighbouring seeds are alike
        this.random = new Random(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        this.probeRandom = new Random(~seed * 0xC2B2AE3D27D4EB4FL);
        this.crashSwitch = new CrashSwitch(random);
        this.meta = new SimulatedMetadataStore(crashSwitch);
        this.blocks = new SimulatedBlockStore(crashSwitch);
    }

    Stats stats() { return stats; }

    /** Runs the whole seed; throws an {@link AssertionError} naming the seed and operation on the first violation. */
    void run() {
        try {
            engine = Engine.create(meta, blocks, CLUSTER, CAPACITY, OPTIONS);
            createVolume().action().run();
            createVolume().action().run();
            for (opIndex = 0; opIndex < operations; opIndex++) {
                step();
                stats.operations++;
            }
            opIndex = operations;
            note("final checkpoint and crash");
            checkpoint();
            recover(List.of(model), true);
            countPageLoads();
        } catch (Throwable t) {
            throw new AssertionError("crash simulation failed: seed " + seed + ", operation " + opIndex
                    + " (replay: -Ddepot.sim.seed=" + seed + " -Ddepot.sim.ops=" + operations + ")\n"
                    + t + "\nlast operations:\n  " + String.join("\n  ", history), t);
        }
    }

    // ------------------------------------------------------------------ the operation loop

    private void step() {
        Op op = chooseOperation();
        note(op.description());
        boolean armed = !op.description().startsWith("crash") && !op.description().startsWith("commit-failure")
                && random.nextInt(100) < 7;
        ReferenceModel before = armed ? model.copy() : null;
        if (armed) {
            crashSwitch.armAfter(random.nextInt(6));
        }
        try {
            op.action().run();
        } catch (SimulatedCrash ignored) {
            // handled below
        } catch (RuntimeException | AssertionError e) {
            if (!crashSwitch.tripped()) {
                throw e;
            }
        }
        if (crashSwitch.tripped()) {
            stats.midOperationCrashes++;
            note("  -> power cut inside the operation");
            recover(op.crashOutcomes().apply(before), true);
            return;
        }
        crashSwitch.reset();
        probeSnapshot();
        if (opIndex % CHECK_EVERY == CHECK_EVERY - 1) {
            checkpoint();
        }
    }

    private Op chooseOperation() {
        io.depot.engine.PoolUsage usage = engine.usage();
        boolean nearlyFull = usage.usedBytes() > usage.capacityBytes() * 97 / 100;
        int liveVolumes = model.volumes.size();
        if (liveVolumes < 2) {
            return createVolume();
        }
        int r = random.nextInt(nearlyFull ? 115 : 100);
        if (r >= 100) {   // a full pool: lean towards giving space back
            return switch (r % 3) {
                case 0 -> deleteSnapshot();
                case 1 -> deleteVolume();
                default -> unmap();
            };
        }
        Op op;
        if (r < 36) op = write(false);
        else if (r < 39) op = write(true);
        else if (r < 47) op = unmap();
        else if (r < 55) op = flush();
        else if (r < 61) op = snapshot(1);
        else if (r < 63) op = snapshot(2);
        else if (r < 68) op = deleteSnapshot();
        else if (r < 71) op = rollbackToLatest();
        else if (r < 74) op = cloneOf(false);
        else if (r < 76) op = cloneOf(true);
        else if (r < 79) op = deleteVolume();
        else if (r < 81) op = reclaim();
        else if (r < 84) op = liveVolumes < 6 ? createVolume() : write(false);
        else if (r < 86) op = resize(true);
        else if (r < 88) op = resize(false);
        else if (r < 92) op = crash();
        else if (r < 95) op = checkpointOp();
        else if (r < 96) op = commitFailure();
        else op = write(false);
        return op != null ? op : write(false);
    }

    // ------------------------------------------------------------------ operations

    private Op write(boolean fua) {
        VolumeModel vm = randomVolume();
        long[] range = randomRange(vm);
        long first = range[0];
        long count = range[1];
        long w = ++writeCounter;
        model.writers.put(w, vm.id);
        byte[] data = new byte[(int) count * SectorStamp.SIZE];
        for (int i = 0; i < count; i++) {
            new SectorStamp(vm.id, first + i, w).writeTo(data, i * SectorStamp.SIZE);
        }
        String name = vm.name;
        Consumer<ReferenceModel> effect = m -> {
            VolumeModel v = m.volume(name);
            for (long s = first; s < first + count; s++) {
                v.write(s, w);
            }
        };
        return new Op((fua ? "write-fua " : "write ") + name + " sectors [" + first + "," + (first + count) + ") #" + w, () -> {
            stats.writes++;
            try {
                volume(name).write(first * SectorStamp.SIZE, ByteBuffer.wrap(data), fua);
            } catch (OutOfSpaceException e) {
                resolveOutOfSpace(name, first, count, s -> w);
                return;
            }
            effect.accept(model);
            if (fua) {
                model.volume(name).promote();
            }
        }, before -> List.of(after(before, effect)));
    }

    private Op unmap() {
        VolumeModel vm = randomVolume();
        long first;
        long count;
        if (random.nextBoolean()) {   // whole clusters
            long[] range = randomRange(vm);
            first = range[0] / SECTORS_PER_CLUSTER * SECTORS_PER_CLUSTER;
            count = Math.min((1 + random.nextInt(3)) * SECTORS_PER_CLUSTER, vm.sizeBytes / SectorStamp.SIZE - first);
        } else {
            long[] range = randomRange(vm);
            first = range[0];
            count = range[1];
        }
        String name = vm.name;
        Consumer<ReferenceModel> effect = m -> {
            VolumeModel v = m.volume(name);
            for (long s = first; s < first + count; s++) {
                v.write(s, 0);
            }
        };
        return new Op("unmap " + name + " sectors [" + first + "," + (first + count) + ")", () -> {
            stats.unmaps++;
            try {
                volume(name).unmap(first * SectorStamp.SIZE, count * SectorStamp.SIZE);
            } catch (OutOfSpaceException e) {
                resolveOutOfSpace(name, first, count, s -> 0);
                return;
            }
            effect.accept(model);
        }, before -> List.of(after(before, effect)));
    }

    private Op flush() {
        return new Op("flush", () -> {
            stats.flushes++;
            engine.flush();
            model.promoteAll();
        }, before -> List.of(before));
    }

    private Op snapshot(int groupSize) {
        List<String> names = new ArrayList<>();
        List<VolumeModel> candidates = new ArrayList<>(model.volumes.values());
        candidates.removeIf(v -> v.snapshots.size() >= 4);
        while (names.size() < groupSize && !candidates.isEmpty()) {
            names.add(candidates.remove(random.nextInt(candidates.size())).name);
        }
        if (names.isEmpty()) {
            return null;
        }
        String snap = "s" + (++nameCounter);
        Consumer<ReferenceModel> effect = m -> {
            for (String n : names) {
                VolumeModel v = m.volume(n);
                v.promote();
                v.snapshots.put(snap, new SnapshotModel(snap, v.sizeBytes, v.currentImage()));
            }
        };
        return new Op("snapshot " + names + " @" + snap, () -> {
            stats.snapshots++;
            engine.snapshotGroup(names.stream().map(this::volume).toList(), snap);
            effect.accept(model);
        }, before -> List.of(before, after(before, effect)));
    }

    /** A random volume of the model that has at least one snapshot, or null. */
    private VolumeModel randomVolumeWithSnapshots() {
        List<VolumeModel> withSnapshots = model.volumes.values().stream().filter(v -> !v.snapshots.isEmpty()).toList();
        return withSnapshots.isEmpty() ? null : withSnapshots.get(random.nextInt(withSnapshots.size()));
    }

    private Op deleteSnapshot() {
        VolumeModel vm = randomVolumeWithSnapshots();
        if (vm == null) {
            return null;
        }
        List<String> snaps = new ArrayList<>(vm.snapshots.keySet());
        String snap = snaps.get(random.nextInt(snaps.size()));
        String name = vm.name;
        Consumer<ReferenceModel> effect = m -> m.volume(name).snapshots.remove(snap);
        return new Op("delete snapshot " + name + "@" + snap, () -> {
            boolean dependent = model.volumes.values().stream().anyMatch(c -> name.equals(c.originVolume)
                    && snap.equals(c.originSnapshot) && volume(c.name).hasOrigin());
            if (!deleted("snapshot", name + "@" + snap, dependent, () -> engine.deleteSnapshot(engine.snapshot(volume(name), snap)))) {
                return;
            }
            stats.snapshotDeletes++;
            effect.accept(model);
        }, before -> List.of(before, after(before, effect)));
    }

    private Op rollbackToLatest() {
        VolumeModel vm = randomVolumeWithSnapshots();
        if (vm == null) {
            return null;
        }
        SnapshotModel latest = null;
        for (SnapshotModel s : vm.snapshots.values()) {
            latest = s;
        }
        SnapshotModel snap = latest;
        String name = vm.name;
        Consumer<ReferenceModel> effect = m -> {
            VolumeModel v = m.volume(name);
            v.resetTo(snap.frozen());
            v.sizeBytes = snap.sizeBytes();
        };
        return new Op("rollback " + name + " to @" + snap.name(), () -> {
            stats.rollbacks++;
            engine.rollback(engine.snapshot(volume(name), snap.name()), false);
            effect.accept(model);
        }, before -> List.of(before, after(before, effect)));
    }

    private Op cloneOf(boolean full) {
        VolumeModel vm = model.volumes.size() >= 6 ? null : randomVolumeWithSnapshots();
        if (vm == null) {
            return null;
        }
        List<SnapshotModel> snaps = new ArrayList<>(vm.snapshots.values());
        SnapshotModel snap = snaps.get(random.nextInt(snaps.size()));
        String origin = vm.name;
        String name = "c" + (++nameCounter);
        long id = ++volumeCounter;
        volumeNames.put(id, name);
        Consumer<ReferenceModel> effect = m -> {
            VolumeModel c = new VolumeModel(id, name, snap.sizeBytes(), origin, snap.name(), full);
            c.resetTo(snap.frozen());
            m.volumes.put(name, c);
        };
        return new Op((full ? "full clone " : "linked clone ") + origin + "@" + snap.name() + " as " + name, () -> {
            stats.clones++;
            VolumeState c = engine.clone(engine.snapshot(volume(origin), snap.name()), name, full);
            if (full && !c.hasOrigin()) {
                stats.flattened++;
            }
            effect.accept(model);
        }, before -> List.of(before, after(before, effect)));
    }

    /**
     * Runs {@code delete} of a {@code kind} ("snapshot", "volume") that linked clones may keep:
     * it must be refused exactly when a clone reads through it ({@code dependent}). True when it
     * was deleted; a refusal is counted.
     */
    private boolean deleted(String kind, String name, boolean dependent, Runnable delete) {
        try {
            delete.run();
        } catch (DependentClonesException e) {
            if (!dependent) {
                throw new AssertionError(kind + " delete refused for clones, but no clone reads through it: " + e.getMessage());
            }
            stats.refusedDependent++;
            return false;
        }
        if (dependent) {
            throw new AssertionError("deleted " + kind + " " + name + " although a linked clone reads through it");
        }
        return true;
    }

    private Op deleteVolume() {
        VolumeModel vm = randomVolume();
        String name = vm.name;
        boolean reclaimNow = random.nextBoolean();
        Consumer<ReferenceModel> effect = m -> m.volumes.remove(name);
        return new Op("delete volume " + name + (reclaimNow ? " + reclaim" : ""), () -> {
            boolean dependent = model.volumes.values().stream()
                    .anyMatch(c -> name.equals(c.originVolume) && volume(c.name).hasOrigin());
            if (!deleted("volume", name, dependent, () -> engine.deleteVolume(volume(name)))) {
                return;
            }
            stats.volumeDeletes++;
            effect.accept(model);
            if (reclaimNow) {
                engine.reclaimAll();
            }
        }, before -> List.of(before, after(before, effect)));
    }

    private Op reclaim() {
        return new Op("reclaim", () -> engine.reclaimAll(), before -> List.of(before));
    }

    private Op createVolume() {
        String name = "v" + (++nameCounter);
        long id = ++volumeCounter;
        volumeNames.put(id, name);
        long size = randomSize();
        Consumer<ReferenceModel> effect = m -> m.volumes.put(name, new VolumeModel(id, name, size, null, null, false));
        return new Op("create volume " + name + " size " + size, () -> {
            engine.createVolume(name, size);
            effect.accept(model);
        }, before -> List.of(before, after(before, effect)));
    }

    private Op resize(boolean grow) {
        VolumeModel vm = randomVolume();
        String name = vm.name;
        long old = vm.sizeBytes;
        long size = randomSize();
        if (grow ? size <= old : size >= old) {
            return null;
        }
        Consumer<ReferenceModel> effect = m -> m.volume(name).truncate(size);
        Consumer<ReferenceModel> growEffect = m -> m.volume(name).sizeBytes = size;
        return new Op((grow ? "grow " : "shrink ") + name + " from " + old + " to " + size, () -> {
            stats.resizes++;
            try {
                engine.resize(volume(name), size, !grow);
            } catch (OutOfSpaceException e) {
                stats.outOfSpace++;
                long now = volume(name).sizeBytes();
                if (now != old) {
                    throw new AssertionError("shrink of " + name + " failed (" + e.getMessage() + ") but the volume's size is now "
                            + now + ", not its old " + old + " (the failed shrink is not persisted: a restart brings the old size back)");
                }
                resolveOutOfSpace(name, size / SectorStamp.SIZE, (old - size) / SectorStamp.SIZE, s -> 0);
                return;
            }
            (grow ? growEffect : effect).accept(model);
        }, before -> {
            if (grow) {
                return List.of(before, after(before, growEffect));
            }
            // the tail is unmapped and committed before the new size is: old size with a zeroed tail is possible
            ReferenceModel tailZeroed = after(before, m -> {
                VolumeModel v = m.volume(name);
                for (long s : new ArrayList<>(v.sectors.tailMap(size / SectorStamp.SIZE, true).keySet())) {
                    v.write(s, 0);
                }
            });
            return List.of(tailZeroed, after(before, effect));
        });
    }

    private Op crash() {
        return new Op("crash", () -> {
            stats.boundaryCrashes++;
            recover(List.of(model), true);
        }, before -> List.of(before));
    }

    private Op checkpointOp() {
        return new Op("checkpoint", this::checkpoint, before -> List.of(before));
    }

    /**
     * A metadata commit fails: the engine must refuse further writes and flushes (nothing acknowledged
     * on top of a hole), and a restart (no power loss) must find a consistent pool.
     */
    private Op commitFailure() {
        Op w = write(false);
        return new Op("commit-failure after " + w.description(), () -> {
            stats.commitFailures++;
            w.action().run();
            meta.failWrite(1);
            try {
                engine.flush();
                throw new AssertionError("flush succeeded although the metadata commit failed");
            } catch (StorageIoException expected) {
                // the commit was lost: its writes stay unacknowledged
            }
            VolumeModel vm = randomVolume();
            try {
                volume(vm.name).write(0, ByteBuffer.allocate(SectorStamp.SIZE), false);
                throw new AssertionError("a write was accepted after a failed commit");
            } catch (StorageIoException expected) {
                // refused, as it must be
            }
            try {
                engine.flush();
                throw new AssertionError("a flush succeeded after a failed commit");
            } catch (StorageIoException expected) {
                // refused
            }
            note("  -> restart after the failed commit (no power loss)");
            recover(List.of(model), false);
        }, before -> List.of(before));
    }

    private static ReferenceModel after(ReferenceModel before, Consumer<ReferenceModel> effect) {
        ReferenceModel m = before.copy();
        effect.accept(m);
        return m;
    }

    // ------------------------------------------------------------------ out of space

    /**
     * A write or unmap failed for lack of space after doing some of its clusters. The engine works
     * through clusters in ascending order, each whole or not at all: every cluster must read entirely
     * as before or entirely as the new data, the new ones first. The model takes what happened.
     */
    private void resolveOutOfSpace(String name, long first, long count, LongUnaryOperator newValue) {
        stats.outOfSpace++;
        VolumeModel vm = model.volume(name);
        VolumeState v = volume(name);
        boolean oldSeen = false;
        long s = first;
        while (s < first + count) {
            long clusterEnd = (s / SECTORS_PER_CLUSTER + 1) * SECTORS_PER_CLUSTER;
            long end = Math.min(clusterEnd, first + count);
            long[] read = readSectors(v, s, end - s);
            boolean allNew = true;
            boolean allOld = true;
            for (long x = s; x < end; x++) {
                long value = read[(int) (x - s)];
                allNew &= value == newValue.applyAsLong(x);
                allOld &= value == vm.current(x);
            }
            if (!allNew && !allOld) {
                throw new AssertionError("after out-of-space, " + name + " sectors [" + s + "," + end
                        + ") are neither the old nor the new contents (half-done cluster)");
            }
            if (allNew && !allOld) {
                if (oldSeen) {
                    throw new AssertionError("after out-of-space, " + name + " sector " + s
                            + " holds new data after a cluster that kept its old data");
                }
                for (long x = s; x < end; x++) {
                    vm.write(x, newValue.applyAsLong(x));
                }
            } else if (allOld && !allNew) {
                oldSeen = true;
            }
            s = end;
        }
    }

    // ------------------------------------------------------------------ crash recovery and checks

    /**
     * Restarts the pool: after a power cut ({@code powerLoss}) the block store becomes a crash image;
     * the metadata store keeps every completed batch. The reopened pool must match one of the
     * {@code outcomes} (an operation cut short happened or did not), pass its own scrub, and then
     * serve the state it showed as the new baseline.
     */
    private void recover(List<ReferenceModel> outcomes, boolean powerLoss) {
        if (powerLoss) {
            blocks = blocks.crash(random);
        }
        crashSwitch.reset();
        countPageLoads();
        engine = Engine.open(meta, blocks, OPTIONS);
        expectNoProblems("verify() right after reopen");
        List<String> mismatches = new ArrayList<>();
        ReferenceModel chosen = null;
        for (ReferenceModel candidate : outcomes) {
            String mismatch = matchAfterCrash(candidate);
            if (mismatch == null) {
                chosen = candidate;
                break;
            }
            mismatches.add(mismatch);
        }
        if (chosen == null) {
            throw new AssertionError("after " + (powerLoss ? "a power cut" : "a restart") + " the pool matches none of the "
                    + outcomes.size() + " possible outcome(s):\n    " + String.join("\n    ", mismatches));
        }
        model = chosen.copy();
        adoptObservedState(powerLoss);
        engine.reclaimAll();   // what the background worker would do after open
        for (VolumeModel vm : model.volumes.values()) {
            if (vm.fullClone && volume(vm.name).hasOrigin()) {
                engine.startFlatten(volume(vm.name));   // resume an interrupted flatten (may stop again on a full pool)
                if (!volume(vm.name).hasOrigin()) {
                    stats.flattened++;
                }
            }
        }
        checkpoint();
    }

    /** Returns null if the reopened engine shows a state the candidate allows, else the first difference. */
    private String matchAfterCrash(ReferenceModel candidate) {
        TreeSet<String> engineNames = new TreeSet<>();
        engine.volumes().forEach(v -> engineNames.add(v.name()));
        if (!engineNames.equals(candidate.volumes.keySet())) {
            return "volumes " + engineNames + ", expected " + candidate.volumes.keySet();
        }
        for (VolumeModel vm : candidate.volumes.values()) {
            VolumeState v = volume(vm.name);
            if (v.sizeBytes() != vm.sizeBytes) {
                return vm.name + " has size " + v.sizeBytes() + ", expected " + vm.sizeBytes;
            }
            List<String> snaps = engine.snapshots(v).stream().map(r -> r.record().name()).toList();
            if (!snaps.equals(new ArrayList<>(vm.snapshots.keySet()))) {
                return vm.name + " has snapshots " + snaps + ", expected " + vm.snapshots.keySet();
            }
        }
        for (VolumeModel vm : candidate.volumes.values()) {
            VolumeState v = volume(vm.name);
            for (long cluster : clustersToCheck(vm)) {
                long firstSector = cluster * SECTORS_PER_CLUSTER;
                long[] read = readClusterInVolume(v, vm, cluster);
                for (int i = 0; i < read.length; i++) {
                    long s = firstSector + i;
                    SectorState st = vm.sectors.get(s);
                    boolean ok = st == null ? read[i] == 0 : st.allowedAfterCrash(read[i]);
                    if (!ok) {
                        return vm.name + " sector " + s + " reads " + describeValue(read[i]) + ", allowed "
                                + (st == null ? "only zeros" : st.toString());
                    }
                }
            }
            String snapProblem = checkSnapshots(vm);
            if (snapProblem != null) {
                return snapProblem;
            }
        }
        return null;
    }

    /** After recovery the pool's contents are the baseline: durable after a power cut, merely current after a restart. */
    private void adoptObservedState(boolean powerLoss) {
        for (VolumeModel vm : model.volumes.values()) {
            VolumeState v = volume(vm.name);
            for (long cluster : vm.touchedClusters(CLUSTER)) {
                long firstSector = cluster * SECTORS_PER_CLUSTER;
                long n = Math.min(SECTORS_PER_CLUSTER, vm.sizeBytes / SectorStamp.SIZE - firstSector);
                long[] read = readSectors(v, firstSector, n);
                for (int i = 0; i < n; i++) {
                    long s = firstSector + i;
                    if (powerLoss) {
                        vm.sectors.put(s, new SectorState(read[i]));
                    } else {
                        // unforced writes that a restart still shows can be lost by a later power cut until the next flush
                        vm.sectors.computeIfAbsent(s, x -> new SectorState(0)).write(read[i]);
                    }
                }
            }
            vm.sectors.values().removeIf(SectorState::isPlainZero);
        }
    }

    /** Without a crash everything must read exactly as the model says, and the engine's scrub must be clean. */
    private void checkpoint() {
        stats.checkpoints++;
        expectNoProblems("verify()");
        TreeSet<String> engineNames = new TreeSet<>();
        engine.volumes().forEach(v -> engineNames.add(v.name()));
        if (!engineNames.equals(model.volumes.keySet())) {
            throw new AssertionError("engine has volumes " + engineNames + ", model " + model.volumes.keySet());
        }
        for (VolumeModel vm : model.volumes.values()) {
            VolumeState v = volume(vm.name);
            if (v.sizeBytes() != vm.sizeBytes) {
                throw new AssertionError(vm.name + " has size " + v.sizeBytes() + ", expected " + vm.sizeBytes);
            }
            for (long cluster : clustersToCheck(vm)) {
                long firstSector = cluster * SECTORS_PER_CLUSTER;
                long[] read = readClusterInVolume(v, vm, cluster);
                for (int i = 0; i < read.length; i++) {
                    long expected = vm.current(firstSector + i);
                    if (read[i] != expected) {
                        throw new AssertionError(vm.name + " sector " + (firstSector + i) + " reads " + describeValue(read[i])
                                + ", expected " + describeValue(expected) + " (no crash since it was written)");
                    }
                }
            }
            String snapProblem = checkSnapshots(vm);
            if (snapProblem != null) {
                throw new AssertionError(snapProblem);
            }
        }
    }

    /** Every snapshot must read exactly its frozen contents. */
    private String checkSnapshots(VolumeModel vm) {
        VolumeState v = volume(vm.name);
        for (SnapshotModel snap : vm.snapshots.values()) {
            SnapshotRef ref = engine.snapshot(v, snap.name());
            if (ref.record().sizeBytes() != snap.sizeBytes()) {
                return vm.name + "@" + snap.name() + " has size " + ref.record().sizeBytes() + ", expected " + snap.sizeBytes();
            }
            TreeSet<Long> clusters = new TreeSet<>();
            snap.frozen().keySet().forEach(s -> clusters.add(s / SECTORS_PER_CLUSTER));
            clusters.addAll(vm.touchedClusters(CLUSTER));   // where the head changed since, the snapshot must not follow
            clusters.add(randomCluster(snap.sizeBytes()));
            for (long cluster : clusters) {
                String problem = checkSnapshotCluster(vm, v, ref, snap, cluster);
                if (problem != null) {
                    return problem;
                }
            }
        }
        return null;
    }

    /** One cluster of a snapshot must read exactly its frozen contents; null if it does. */
    private String checkSnapshotCluster(VolumeModel vm, VolumeState v, SnapshotRef ref, SnapshotModel snap, long cluster) {
        long firstSector = cluster * SECTORS_PER_CLUSTER;
        long n = Math.min(SECTORS_PER_CLUSTER, snap.sizeBytes() / SectorStamp.SIZE - firstSector);
        if (n <= 0) {
            return null;
        }
        ByteBuffer dst = ByteBuffer.allocate((int) n * SectorStamp.SIZE);
        v.readSnapshot(ref.epoch(), ref.record().sizeBytes(), firstSector * SectorStamp.SIZE, dst);
        long[] read = decodeSectors(vm.name + "@" + snap.name(), dst.array(), firstSector, n);
        for (int i = 0; i < n; i++) {
            long expected = snap.frozen().getOrDefault(firstSector + i, 0L);
            if (read[i] != expected) {
                return "snapshot " + vm.name + "@" + snap.name() + " sector " + (firstSector + i) + " reads "
                        + describeValue(read[i]) + ", frozen " + describeValue(expected);
            }
        }
        return null;
    }

    /**
     * After most operations, reads a little of one random snapshot: this keeps the engine's snapshot
     * page cache filled between the operations that change what snapshots see (delete, rollback, flatten,
     * volume delete, crash), so a page kept past such a change would be caught reading stale data.
     * Draws from {@link #probeRandom} only, so it does not change the operations of a seed.
     */
    private void probeSnapshot() {
        List<VolumeModel> withSnapshots = model.volumes.values().stream().filter(v -> !v.snapshots.isEmpty()).toList();
        if (withSnapshots.isEmpty() || probeRandom.nextInt(4) == 0) {
            return;
        }
        VolumeModel vm = withSnapshots.get(probeRandom.nextInt(withSnapshots.size()));
        List<SnapshotModel> snaps = new ArrayList<>(vm.snapshots.values());
        SnapshotModel snap = snaps.get(probeRandom.nextInt(snaps.size()));
        VolumeState v = volume(vm.name);
        SnapshotRef ref = engine.snapshot(v, snap.name());
        List<Long> frozenSectors = new ArrayList<>(snap.frozen().keySet());
        long[] clusters = {
            frozenSectors.isEmpty() ? randomCluster(snap.sizeBytes())
                    : frozenSectors.get(probeRandom.nextInt(frozenSectors.size())) / SECTORS_PER_CLUSTER,
            randomCluster(snap.sizeBytes())
        };
        for (long cluster : clusters) {
            String problem = checkSnapshotCluster(vm, v, ref, snap, cluster);
            if (problem != null) {
                throw new AssertionError(problem + " (snapshot probe after the operation)");
            }
        }
    }

    private void countPageLoads() {
        stats.pageLoads += engine.cachePageLoads();
        if (engine.cachePageLoads() > CACHE_PAGES) {
            stats.enginesBeyondCache++;
        }
    }

    private void expectNoProblems(String when) {
        List<String> problems = engine.verify();
        if (!problems.isEmpty()) {
            throw new AssertionError(when + " reports " + problems.size() + " problem(s): " + problems);
        }
    }

    /** The clusters the model knows about, plus one it does not (which must read as zeros). */
    private TreeSet<Long> clustersToCheck(VolumeModel vm) {
        TreeSet<Long> clusters = vm.touchedClusters(CLUSTER);
        clusters.add(randomCluster(vm.sizeBytes));
        return clusters;
    }

    private long randomCluster(long sizeBytes) {
        long clusters = (sizeBytes + CLUSTER - 1) / CLUSTER;
        return (long) (probeRandom.nextDouble() * clusters);
    }

    // ------------------------------------------------------------------ reading and decoding

    /** The sectors of {@code cluster} that lie within the volume's size: none for a cluster past its end. */
    private long[] readClusterInVolume(VolumeState v, VolumeModel vm, long cluster) {
        long firstSector = cluster * SECTORS_PER_CLUSTER;
        long n = Math.min(SECTORS_PER_CLUSTER, vm.sizeBytes / SectorStamp.SIZE - firstSector);
        return n <= 0 ? new long[0] : readSectors(v, firstSector, n);
    }

    private long[] readSectors(VolumeState v, long firstSector, long count) {
        ByteBuffer dst = ByteBuffer.allocate((int) count * SectorStamp.SIZE);
        v.read(firstSector * SectorStamp.SIZE, dst);
        return decodeSectors(v.name(), dst.array(), firstSector, count);
    }

    /** Sector contents as write numbers (0 = zeros); a sector that is garbage, misplaced or foreign fails at once. */
    private long[] decodeSectors(String where, byte[] bytes, long firstSector, long count) {
        long[] out = new long[(int) count];
        stats.sectorsChecked += count;
        for (int i = 0; i < count; i++) {
            long sector = firstSector + i;
            SectorStamp.Content c = SectorStamp.decode(bytes, i * SectorStamp.SIZE);
            switch (c) {
                case SectorStamp.Zeros z -> out[i] = 0;
                case SectorStamp.Garbage g -> throw new AssertionError(where + " sector " + sector + " holds garbage: " + g.why());
                case SectorStamp.Stamped st -> {
                    SectorStamp s = st.stamp();
                    Long writer = model.writers.get(s.write());
                    if (writer == null || writer != s.volume()) {
                        throw new AssertionError(where + " sector " + sector + " holds a stamp no write produced: " + s);
                    }
                    if (s.sector() != sector) {
                        throw new AssertionError(where + " sector " + sector + " holds write #" + s.write() + " of "
                                + volumeNames.get(s.volume()) + " meant for sector " + s.sector() + " (misplaced data)");
                    }
                    out[i] = s.write();
                }
            }
        }
        return out;
    }

    private String describeValue(long w) {
        if (w == 0) {
            return "zeros";
        }
        Long writer = model.writers.get(w);
        return "write #" + w + " (by " + (writer == null ? "?" : volumeNames.get(writer)) + ")";
    }

    // ------------------------------------------------------------------ random choices

    private VolumeModel randomVolume() {
        List<VolumeModel> all = new ArrayList<>(model.volumes.values());
        return all.get(random.nextInt(all.size()));
    }

    private long randomSize() {
        long clusters = (MIN_SIZE + (long) (random.nextDouble() * (MAX_SIZE - MIN_SIZE))) / CLUSTER;
        long partial = random.nextInt(4) == 0 ? random.nextInt(SECTORS_PER_CLUSTER) * SectorStamp.SIZE : 0;
        return Math.max(MIN_SIZE, clusters * CLUSTER + partial);
    }

    /**
     * A sector range [first, first+count) in one of the volume's hot spots: the first few clusters of
     * some mapping page, so that writes spread over many pages but keep hitting the same clusters.
     */
    private long[] randomRange(VolumeModel vm) {
        long sizeSectors = vm.sizeBytes / SectorStamp.SIZE;
        long clusters = (vm.sizeBytes + CLUSTER - 1) / CLUSTER;
        long pages = (clusters + CLUSTERS_PER_PAGE - 1) / CLUSTERS_PER_PAGE;
        long cluster = random.nextLong(pages) * CLUSTERS_PER_PAGE + random.nextInt(4);
        if (cluster >= clusters) {
            cluster = random.nextInt((int) Math.min(4, clusters));
        }
        long first = cluster * SECTORS_PER_CLUSTER + (random.nextBoolean() ? 0 : random.nextInt(SECTORS_PER_CLUSTER));
        long count = random.nextBoolean() ? 1 + random.nextInt(SECTORS_PER_CLUSTER)
                : SECTORS_PER_CLUSTER * (1 + random.nextInt(3)) - (random.nextBoolean() ? 0 : random.nextInt(SECTORS_PER_CLUSTER));
        count = Math.min(count, sizeSectors - first);
        if (count <= 0) {
            return new long[] {0, 1};
        }
        return new long[] {first, count};
    }

    private VolumeState volume(String name) {
        return engine.volume(name);
    }

    private void note(String line) {
        history.addLast("#" + opIndex + " " + line);
        while (history.size() > 40) {
            history.removeFirst();
        }
    }
}
