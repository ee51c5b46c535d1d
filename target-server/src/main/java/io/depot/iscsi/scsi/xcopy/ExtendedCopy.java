package io.depot.iscsi.scsi.xcopy;

import io.depot.iscsi.backstore.BackstoreFailure;
import io.depot.iscsi.backstore.BlockBackend;
import io.depot.iscsi.scsi.CopyOffload;
import io.depot.iscsi.scsi.ScsiCommand;
import io.depot.iscsi.scsi.ScsiResult;
import io.depot.iscsi.scsi.Sense;
import io.depot.iscsi.scsi.SenseReason;
import io.depot.iscsi.scsi.xcopy.CopyParameterList.Cscd;
import io.depot.iscsi.scsi.xcopy.CopyParameterList.Segment;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * EXTENDED COPY (LID1, 83h/00h) between Depot logical units and RECEIVE COPY RESULTS (84h)
 * COPY STATUS (00h) and OPERATING PARAMETERS (03h), as VMware's clone offload uses them.
 *
 * <p>The copy runs on the calling I/O thread through {@link BlockBackend#read}/{@link
 * BlockBackend#write} in chunks of at most {@link #CHUNK} bytes, through one pooled direct buffer
 * per command reused for every chunk. Every descriptor is checked before any data moves, so a
 * refused list changes nothing. Overlapping ranges on one device copy as if through a buffer the
 * size of the segment (backwards when the destination lies after the source).
 *
 * <p>Reservations of the CSCD logical units are not checked here; the logical unit that received
 * the command checked its own before routing it.
 */
public final class ExtendedCopy implements CopyOffload {
    private static final Logger log = LoggerFactory.getLogger(ExtendedCopy.class);

    static final int CHUNK = 1 << 20;
    static final int STATUS_ENTRIES = 1024;

    /** What RECEIVE COPY RESULTS OPERATING PARAMETERS reports, and what EXTENDED COPY enforces. */
    public record Limits(int maxCscdDescriptors, int maxSegmentDescriptors, int maxDescriptorListLength,
                         long maxSegmentLength) {
        public static final Limits DEFAULT = new Limits(16, 64, 4096, 256L << 20);
    }

    private final BackendDirectory directory;
    private final Limits limits;
    private final CopyStatusTable statuses = new CopyStatusTable(STATUS_ENTRIES);

    public ExtendedCopy(BackendDirectory directory) {
        this(directory, Limits.DEFAULT);
    }

    public ExtendedCopy(BackendDirectory directory, Limits limits) {
        this.directory = directory;
        this.limits = limits;
    }

    // ---- EXTENDED COPY -----------------------------------------------------------------------

    @Override
    public ScsiResult extendedCopy(ScsiCommand command) {
        byte[] cdb = command.cdb();
        if ((cdb[1] & 0x1f) != 0) {
            return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, 1, 4)); // LID4 not offered
        }
        long length = CopyParameterList.u32(cdb, 10);
        if (length == 0) {
            return ScsiResult.OK; // SPC-4 §6.4.1: no parameter list is not an error
        }
        int received = command.dataOut() == null ? 0 : command.dataOut().readableBytes();
        if (length > received || length > CopyParameterList.HEADER + limits.maxDescriptorListLength()) {
            return Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] p = new byte[(int) length];
        command.dataOut().getBytes(command.dataOut().readerIndex(), p);

        CopyParameterList list;
        try {
            list = CopyParameterList.parse(p, directory, limits);
            checkSegments(list);
        } catch (CopyRejected e) {
            return e.result;
        }
        CopyStatusTable.Key key = list.listIdUsage() == CopyParameterList.LIST_ID_UNUSED
            ? null : new CopyStatusTable.Key(command.nexus(), list.listId());
        if (key != null && !statuses.begin(key)) {
            return Sense.check(SenseReason.OPERATION_IN_PROGRESS);
        }
        Progress progress = new Progress();
        ScsiResult result;
        ByteBuf buffer = command.alloc().directBuffer(CHUNK, CHUNK);
        try {
            for (Segment s : list.segments()) {
                result = copy(list, s, buffer, progress);
                if (result != null) {
                    finish(key, false, progress);
                    return result;
                }
                progress.segments++;
            }
        } finally {
            buffer.release();
        }
        finish(key, true, progress);
        return ScsiResult.OK;
    }

    private static final class Progress {
        int segments;
        long bytes;
    }

    private void finish(CopyStatusTable.Key key, boolean ok, Progress progress) {
        if (key != null) {
            statuses.finish(key, ok, progress.segments, progress.bytes);
        }
    }

    /** Every segment within both devices, its byte count a whole number of both block lengths, its destination writable. */
    private void checkSegments(CopyParameterList list) throws CopyRejected {
        for (Segment s : list.segments()) {
            Cscd src = list.cscds().get(s.source());
            Cscd dst = list.cscds().get(s.destination());
            long bytes = (long) s.blocks() * (s.destinationCount() ? dst.blockLength() : src.blockLength());
            if (bytes % src.blockLength() != 0 || bytes % dst.blockLength() != 0 || bytes > limits.maxSegmentLength()
                || !fits(s.sourceLba(), src, bytes) || !fits(s.destinationLba(), dst, bytes)) {
                throw new CopyRejected(Sense.check(CopyParameterList.segmentSense(SenseReason.COPY_ABORTED, s.offset())));
            }
            if (bytes > 0 && dst.backend().readOnly()) {
                throw new CopyRejected(Sense.check(SenseReason.WRITE_PROTECTED));
            }
        }
    }

    private static boolean fits(long lba, Cscd c, long bytes) {
        long blocks = c.backend().sizeBytes() / c.blockLength();
        return lba >= 0 && lba <= blocks && bytes / c.blockLength() <= blocks - lba;
    }

    /** Copies one segment; null when done, else the CHECK CONDITION to answer. */
    private static ScsiResult copy(CopyParameterList list, Segment s, ByteBuf buffer, Progress progress) {
        Cscd src = list.cscds().get(s.source());
        Cscd dst = list.cscds().get(s.destination());
        long bytes = (long) s.blocks() * (s.destinationCount() ? dst.blockLength() : src.blockLength());
        long from = s.sourceLba() * src.blockLength();
        long to = s.destinationLba() * dst.blockLength();
        boolean backwards = src.backend() == dst.backend() && to > from && to < from + bytes;
        long done = 0;
        try {
            while (done < bytes) {
                int n = (int) Math.min(CHUNK, bytes - done);
                long at = backwards ? bytes - done - n : done;
                ByteBuffer chunk = buffer.internalNioBuffer(0, n);
                int start = chunk.position();
                src.backend().read(from + at, chunk);
                chunk.limit(start + n).position(start);
                dst.backend().write(to + at, chunk, false);
                done += n;
                progress.bytes += n;
            }
            return null;
        } catch (RuntimeException e) {
            // a refusal the initiator can act on is reported as such; any other failure is the copy device's
            if (e instanceof BackstoreFailure f
                    && (f.reason() == BackstoreFailure.Reason.READ_ONLY || f.reason() == BackstoreFailure.Reason.NO_SPACE)) {
                return Sense.check(SenseReason.ofBackstore(f.reason(), true));
            }
            log.warn("extended copy segment at {} from {} to {} failed", s.offset(), src.backend(), dst.backend(), e);
            return Sense.check(CopyParameterList.segmentSense(SenseReason.COPY_ABORTED_THIRD_PARTY_DEVICE_FAILURE, s.offset()));
        }
    }

    // ---- RECEIVE COPY RESULTS ----------------------------------------------------------------

    @Override
    public ScsiResult receiveCopyResults(ScsiCommand command) {
        byte[] cdb = command.cdb();
        long allocation = CopyParameterList.u32(cdb, 10);
        byte[] data = switch (cdb[1] & 0x1f) {
            case 0x00 -> {
                CopyStatusTable.Status s = statuses.get(new CopyStatusTable.Key(command.nexus(), cdb[2] & 0xff));
                yield s == null ? null : copyStatus(s);
            }
            case 0x03 -> operatingParameters();
            default -> new byte[0];
        };
        if (data == null) {
            return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, 2, -1)); // unknown list id
        }
        if (data.length == 0) {
            return Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_CDB, true, 1, 4));
        }
        int n = (int) Math.min(allocation, data.length);
        if (n == 0) {
            return ScsiResult.OK;
        }
        ByteBuf buf = command.alloc().buffer(n);
        buf.writeBytes(data, 0, n);
        return ScsiResult.good(buf);
    }

    /** COPY STATUS (SPC-3 §6.18.2): state, segments processed, transfer count in the smallest unit that fits. */
    private static byte[] copyStatus(CopyStatusTable.Status s) {
        byte[] d = new byte[12];
        d[3] = 8;
        d[4] = (byte) s.state();
        d[5] = (byte) (s.segmentsProcessed() >>> 8);
        d[6] = (byte) s.segmentsProcessed();
        long count = s.bytesTransferred();
        int units = 0; // 0 bytes, 1 KiB, 2 MiB, 3 GiB, 4 TiB ...
        while (count > 0xffffffffL) {
            count >>>= 10;
            units++;
        }
        d[7] = (byte) units;
        putInt(d, 8, (int) count);
        return d;
    }

    /** OPERATING PARAMETERS (SPC-4 §6.20.4). */
    private byte[] operatingParameters() {
        int[] implemented = {CopyParameterList.BLOCK_TO_BLOCK, CopyParameterList.IDENTIFICATION_CSCD};
        byte[] d = new byte[44 + implemented.length];
        putInt(d, 0, d.length - 4);
        d[8] = (byte) (limits.maxCscdDescriptors() >>> 8);
        d[9] = (byte) limits.maxCscdDescriptors();
        d[10] = (byte) (limits.maxSegmentDescriptors() >>> 8);
        d[11] = (byte) limits.maxSegmentDescriptors();
        putInt(d, 12, limits.maxDescriptorListLength());
        putInt(d, 16, (int) Math.min(limits.maxSegmentLength(), 0xffffffffL));
        // 20..23 maximum inline data length 0; 24..27 held data limit 0; 28..31 stream transfer size 0
        d[35] = (byte) 0xff;      // total concurrent copies: copies run on I/O threads, not a limited pool
        d[36] = (byte) 0xff;      // maximum concurrent copies
        d[37] = 9;                // data segment granularity: 2^9 = 512 bytes
        d[38] = 0;                // inline data granularity
        d[39] = 0;                // held data granularity
        d[43] = (byte) implemented.length;
        for (int i = 0; i < implemented.length; i++) {
            d[44 + i] = (byte) implemented[i];
        }
        return d;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
