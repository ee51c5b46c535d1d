package io.depot.engine.sim;

import io.depot.engine.store.BlockStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A growable byte store that remembers which writes are not yet durable, so that a power cut can
 * be simulated: {@link #crash} returns the image a disk could hold afterwards.
 *
 * <p>Writes completed before the last {@link #force()} survive. Each write since then independently
 * vanishes, survives, or survives torn (only some of its 512-byte sectors; a sector is atomic).
 * The store's length after the cut is what the surviving data reaches, which can be less than what
 * was written, as for a sparse file whose size was never synced.
 */
public final class SimulatedBlockStore implements BlockStore {
    public static final int SECTOR = 512;

    private record PendingWrite(long position, byte[] data) {}

    private final CrashSwitch crashSwitch;
    private byte[] current;          // what reads see
    private long currentLength;
    private byte[] durable;          // what survives a power cut for sure
    private long durableLength;
    private final List<PendingWrite> pending = new ArrayList<>();
    private long forces;

    public SimulatedBlockStore(CrashSwitch crashSwitch) {
        this(crashSwitch, new byte[0], 0);
    }

    private SimulatedBlockStore(CrashSwitch crashSwitch, byte[] image, long length) {
        this.crashSwitch = crashSwitch;
        this.current = image.clone();
        this.durable = image.clone();
        this.currentLength = length;
        this.durableLength = length;
    }

    @Override
    public void read(ByteBuffer dst, long position) {
        crashSwitch.failIfTripped();
        int n = dst.remaining();
        long available = Math.max(0, Math.min(n, currentLength - position));
        if (available > 0) {
            dst.put(current, (int) position, (int) available);
        }
        if (dst.hasRemaining()) {   // past the end: zeros
            dst.put(new byte[dst.remaining()]);
        }
    }

    @Override
    public void write(ByteBuffer src, long position) {
        boolean crashNow = crashSwitch.reachCall();
        if (position % SECTOR != 0 || src.remaining() % SECTOR != 0) {
            throw new AssertionError("engine wrote " + src.remaining() + " bytes at " + position + ": not sector aligned");
        }
        byte[] data = new byte[src.remaining()];
        src.get(data);
        current = ensure(current, position + data.length);
        System.arraycopy(data, 0, current, (int) position, data.length);
        currentLength = Math.max(currentLength, position + data.length);
        pending.add(new PendingWrite(position, data));
        if (crashNow) {
            throw new SimulatedCrash();   // the write was under way: crash() decides how much of it landed
        }
    }

    @Override
    public void force() {
        if (crashSwitch.reachCall()) {
            throw new SimulatedCrash();   // interrupted: the writes since the last force stay undecided
        }
        for (PendingWrite w : pending) {
            durable = ensure(durable, w.position() + w.data().length);
            System.arraycopy(w.data(), 0, durable, (int) w.position(), w.data().length);
        }
        pending.clear();
        durableLength = currentLength;
        forces++;
    }

    /** Writes not yet made durable by a force. */
    public int pendingWrites() { return pending.size(); }

    public long forces() { return forces; }

    /**
     * The store as a power cut leaves it: a new store (sharing this one's crash switch) holding the
     * durable image plus a random fate for every write since the last force.
     */
    public SimulatedBlockStore crash(Random random) {
        byte[] image = Arrays.copyOf(durable, durable.length);
        long length = durableLength;
        for (PendingWrite w : pending) {
            int fate = random.nextInt(3);   // 0 vanishes, 1 survives whole, 2 survives torn
            if (fate == 0) {
                continue;
            }
            int sectors = w.data().length / SECTOR;
            for (int s = 0; s < sectors; s++) {
                if (fate == 1 || random.nextBoolean()) {
                    long at = w.position() + (long) s * SECTOR;
                    image = ensure(image, at + SECTOR);
                    System.arraycopy(w.data(), s * SECTOR, image, (int) at, SECTOR);
                    length = Math.max(length, at + SECTOR);
                }
            }
        }
        return new SimulatedBlockStore(crashSwitch, Arrays.copyOf(image, (int) length), length);
    }

    @Override
    public long dirtyExtent() {
        crashSwitch.failIfTripped();
        return currentLength;
    }

    @Override
    public long maxSize() { return Long.MAX_VALUE; }

    /** Closing keeps the contents: the simulation reopens an engine on the same store. */
    @Override
    public void close() {}

    private static byte[] ensure(byte[] a, long length) {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("simulated store limited to 2 GiB");
        }
        if (a.length >= length) {
            return a;
        }
        return Arrays.copyOf(a, (int) Math.max(length, Math.min(Integer.MAX_VALUE - 8, a.length * 2L)));
    }
}
