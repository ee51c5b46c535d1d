package io.depot.iscsi.backstore;

import io.depot.engine.Extent;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * What the SCSI command layer needs from storage: a byte-addressed device, nothing more. The
 * engine's volumes and snapshots implement it through {@link EngineBackend}; the command layer
 * never sees the engine's types beyond {@link Extent}. Every I/O refusal or error is a
 * {@link BackstoreFailure} carrying the sense reason to answer with.
 *
 * <p>Calls block (they may wait on a disk or a group commit); the fabric never makes them on a
 * network event loop. Offsets and lengths are bytes, multiples of 512.
 */
public interface BlockBackend {

    /** Never changes: SCSI device identifiers are derived from it. */
    UUID uuid();

    /** The volume's or snapshot's name, for logs and INQUIRY. */
    String name();

    long sizeBytes();

    /** True for snapshots: writes must fail with DATA PROTECT / WRITE PROTECTED. */
    boolean readOnly();

    void read(long offset, ByteBuffer dst);

    /** Fails with SPACE ALLOCATION FAILED WRITE PROTECT when the pool is full. */
    void write(long offset, ByteBuffer src, boolean fua);

    void flush();

    /** The range reads as zeros afterwards and its space returns to the pool. */
    void unmap(long offset, long length);

    /** Atomic against every other writer; a difference fails with {@link BackstoreFailure#miscompare}. */
    void compareAndWrite(long offset, ByteBuffer expected, ByteBuffer replacement);

    /** See {@link io.depot.engine.Volume#allocationAt}. */
    Extent allocationAt(long offset, long maxLength);
}
