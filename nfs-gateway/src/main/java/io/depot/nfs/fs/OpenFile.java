package io.depot.nfs.fs;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An open regular file: its volume, and the lock that orders I/O against read-modify-write and
 * truncation (aligned I/O shares it; see {@link LockOrder}). The volume is at least the file size
 * rounded up to a sector, grown with headroom as writes extend the file; everything in it beyond
 * the file size reads as zeros.
 */
final class OpenFile {
    static final int SECTOR = Datastore.SECTOR;
    private static final long GROW_STEP = 1L << 30;

    final io.depot.engine.Volume volume;
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Whether what lies past the size was zeroed (before the first I/O through this object). */
    volatile boolean reconciled;
    /** Operations using this object now; guarded by the {@link OpenFiles} table's monitor. */
    int users;

    OpenFile(io.depot.engine.Volume volume, boolean reconciled) {
        this.volume = volume;
        this.reconciled = reconciled;
    }

    static long roundUp(long v) { return (v + SECTOR - 1) & ~(long) (SECTOR - 1); }

    /**
     * Makes everything past {@code size} read as zeros and the volume no larger than needed: what
     * a crash may have left of an extension that was never committed. Under the exclusive lock.
     */
    void zeroBeyond(long size) {
        long keep = Math.max(SECTOR, roundUp(size));
        if (volume.sizeBytes() > keep) {
            volume.shrink(keep);
        }
        if (size % SECTOR != 0) {
            long sector = size & ~(long) (SECTOR - 1);
            ByteBuffer b = ByteBuffer.allocate(SECTOR);
            volume.read(sector, b);
            b.clear();
            int from = (int) (size - sector);
            b.put(from, new byte[SECTOR - from]);
            volume.write(sector, b);
        }
        long zeroFrom = roundUp(size);
        if (zeroFrom < volume.sizeBytes()) {
            volume.unmap(zeroFrom, volume.sizeBytes() - zeroFrom);
        }
    }

    /** A size change asked for (SETATTR); under the exclusive lock. */
    void resize(long oldSize, long newSize) {
        if (newSize < oldSize) {
            zeroBeyond(newSize);
        } else {
            long need = roundUp(newSize);
            if (volume.sizeBytes() < need) {
                volume.grow(need); // an explicit size (a VM disk) gets no headroom
            }
        }
    }

    /** Grows the volume to hold {@code end} bytes, with headroom so that appends rarely resize. */
    void ensureCapacity(long end) {
        long need = roundUp(end);
        synchronized (this) {
            long cur = volume.sizeBytes();
            if (cur < need) {
                long target = Math.max(need, Math.min(cur * 2, cur + GROW_STEP));
                volume.grow(Math.min(roundUp(target), Datastore.MAX_FILE_SIZE));
            }
        }
    }
}
