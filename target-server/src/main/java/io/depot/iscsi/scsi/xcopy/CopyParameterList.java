package io.depot.iscsi.scsi.xcopy;

import io.depot.iscsi.backstore.BlockBackend;
import io.depot.iscsi.scsi.CopyOffload.BackendDirectory;
import io.depot.iscsi.scsi.Sense;
import io.depot.iscsi.scsi.SenseReason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A parsed EXTENDED COPY (LID1) parameter list (SPC-4 §6.4.3): a 16-byte header, CSCD
 * descriptors, segment descriptors. We accept identification CSCDs (E4h) naming Depot logical
 * units by NAA designator, and block-to-block segments (02h); no inline data.
 *
 * <p>Checks run in the order libiscsi's extended copy tests expect: lengths (PARAMETER LIST
 * LENGTH ERROR), then counts (TOO MANY ... DESCRIPTORS), then descriptor types and fields, then
 * whether the named devices exist (COPY ABORTED).
 */
record CopyParameterList(int listId, int listIdUsage, List<Cscd> cscds, List<Segment> segments) {
    static final int HEADER = 16;
    static final int CSCD_LENGTH = 32;
    static final int IDENTIFICATION_CSCD = 0xe4;
    static final int BLOCK_TO_BLOCK = 0x02;
    static final int BLOCK_TO_BLOCK_LENGTH = 0x18; // DESCRIPTOR LENGTH: bytes after the first four
    /** LIST ID USAGE 11b: the list identifier means nothing and no status is kept. */
    static final int LIST_ID_UNUSED = 3;

    /** A copy target: a backend and the block length the initiator counts in. */
    record Cscd(BlockBackend backend, int blockLength) {}

    /** A block-to-block segment; {@code offset} is where it starts in the parameter list (for sense). */
    record Segment(int source, int destination, int blocks, boolean destinationCount, long sourceLba,
                   long destinationLba, int offset) {}

    static CopyParameterList parse(byte[] p, BackendDirectory directory, ExtendedCopy.Limits limits) throws CopyRejected {
        if (p.length < HEADER) {
            throw new CopyRejected(Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR));
        }
        int listId = p[0] & 0xff;
        int usage = (p[1] >>> 3) & 3;
        int cscdLength = u16(p, 2);
        long segmentLength = u32(p, 8);
        long inlineLength = u32(p, 12);
        if (HEADER + cscdLength + segmentLength + inlineLength > p.length) {
            throw new CopyRejected(Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR));
        }
        if (cscdLength + segmentLength > limits.maxDescriptorListLength()) {
            throw new CopyRejected(Sense.check(SenseReason.PARAMETER_LIST_LENGTH_ERROR));
        }
        if (usage == 1) {
            throw invalid(1, 4); // reserved LIST ID USAGE
        }
        if (inlineLength != 0) {
            throw invalid(12, -1); // we advertise a maximum inline data length of zero
        }
        if (cscdLength % CSCD_LENGTH != 0) {
            throw invalid(2, -1);
        }
        if (cscdLength / CSCD_LENGTH > limits.maxCscdDescriptors()) {
            throw new CopyRejected(Sense.check(SenseReason.TOO_MANY_TARGET_DESCRIPTORS));
        }
        int segStart = HEADER + cscdLength;
        List<int[]> segmentBounds = walkSegments(p, segStart, (int) segmentLength, limits);

        List<Cscd> cscds = new ArrayList<>();
        for (int off = HEADER; off < segStart; off += CSCD_LENGTH) {
            cscds.add(cscd(p, off, directory));
        }
        List<Segment> segments = new ArrayList<>();
        for (int[] b : segmentBounds) {
            segments.add(segment(p, b[0], cscds.size()));
        }
        return new CopyParameterList(listId, usage, cscds, segments);
    }

    /** Counts the segment descriptors and checks each one's type and length; returns their offsets. */
    private static List<int[]> walkSegments(byte[] p, int start, int length, ExtendedCopy.Limits limits) throws CopyRejected {
        List<int[]> bounds = new ArrayList<>();
        int end = start + length;
        int off = start;
        while (off < end) {
            if (bounds.size() == limits.maxSegmentDescriptors()) {
                throw new CopyRejected(Sense.check(SenseReason.TOO_MANY_SEGMENT_DESCRIPTORS));
            }
            if (end - off < 4) {
                throw invalid(off, -1);
            }
            int type = p[off] & 0xff;
            if (type != BLOCK_TO_BLOCK) {
                throw new CopyRejected(Sense.check(Sense.invalidField(SenseReason.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE, false, off, -1)));
            }
            int descriptorLength = u16(p, off + 2);
            if (descriptorLength != BLOCK_TO_BLOCK_LENGTH || off + 4 + descriptorLength > end) {
                throw invalid(off + 2, -1);
            }
            bounds.add(new int[] {off});
            off += 4 + descriptorLength;
        }
        return bounds;
    }

    /** An identification descriptor CSCD (SPC-4 §6.4.5.5) resolved to a Depot backend. */
    private static Cscd cscd(byte[] p, int off, BackendDirectory directory) throws CopyRejected {
        int type = p[off] & 0xff;
        if (type != IDENTIFICATION_CSCD) {
            throw new CopyRejected(Sense.check(Sense.invalidField(SenseReason.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE, false, off, -1)));
        }
        // LU ID TYPE (byte 1, bits 7-6) is not checked: it qualifies an LU IDENTIFIER field, and the
        // identification descriptor has none (its designator names the LU), so SPC-4 receivers
        // ignore it; libiscsi's ValidTgtDescr expects GOOD with a reserved value there
        if ((p[off + 1] & 0x1f) != 0) {
            throw invalid(off + 1, 4); // block-to-block copies need direct-access devices
        }
        int blockLength = (p[off + 29] & 0xff) << 16 | (p[off + 30] & 0xff) << 8 | (p[off + 31] & 0xff);
        if (blockLength == 0 || blockLength % 512 != 0) {
            throw invalid(off + 29, -1);
        }
        if ((p[off + 1] & 0x20) != 0) {
            throw unreachable(); // NUL: a null device, which we do not provide
        }
        int codeSet = p[off + 4] & 0x0f;
        int association = (p[off + 5] >>> 4) & 3;
        int designatorType = p[off + 5] & 0x0f;
        int designatorLength = p[off + 7] & 0xff;
        if (designatorLength > 20) {
            throw invalid(off + 7, -1);
        }
        if (codeSet != 1 || association != 0 || designatorType != 3) {
            throw unreachable(); // not a logical unit's binary NAA designator: none of ours
        }
        BlockBackend backend = directory.byNaa(Arrays.copyOfRange(p, off + 8, off + 8 + designatorLength));
        if (backend == null) {
            throw unreachable();
        }
        return new Cscd(backend, blockLength);
    }

    /** A block-to-block segment descriptor (SPC-4 §6.4.6.5). */
    private static Segment segment(byte[] p, int off, int cscdCount) throws CopyRejected {
        int source = u16(p, off + 4);
        int destination = u16(p, off + 6);
        if (source >= cscdCount || destination >= cscdCount) {
            throw new CopyRejected(Sense.check(segmentSense(SenseReason.COPY_ABORTED_TARGET_FAILURE, off)));
        }
        return new Segment(source, destination, u16(p, off + 10), (p[off + 1] & 0x02) != 0,
            u64(p, off + 12), u64(p, off + 20), off);
    }

    /** COPY ABORTED sense with the segment pointer (SPC-4 §4.5.2.4.6) at a segment descriptor's first byte. */
    static byte[] segmentSense(SenseReason reason, int segmentOffset) {
        return Sense.fixed(reason, false, 0, new byte[] {(byte) 0x80, (byte) (segmentOffset >>> 8), (byte) segmentOffset});
    }

    private static CopyRejected invalid(int byteOffset, int bit) {
        return new CopyRejected(Sense.check(Sense.invalidField(SenseReason.INVALID_FIELD_IN_PARAMETER_LIST, false, byteOffset, bit)));
    }

    private static CopyRejected unreachable() {
        return new CopyRejected(Sense.check(SenseReason.COPY_ABORTED_TARGET_FAILURE));
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    static long u32(byte[] b, int off) {
        return (b[off] & 0xffL) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    static long u64(byte[] b, int off) {
        return u32(b, off) << 32 | u32(b, off + 4);
    }
}
