package io.depot.iscsi.scsi;

import static io.depot.iscsi.scsi.BlockLimits.*;

import io.depot.engine.Extent;
import io.depot.iscsi.backstore.BackstoreFailure;
import io.depot.iscsi.backstore.BlockBackend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * The SBC-3 commands that move or describe data. Each decodes its CDB with {@link BlockRequest},
 * runs the shared range check, and reports failures as {@link ScsiFailure} or, from the backend,
 * {@link BackstoreFailure}, which {@link LogicalUnit} maps to sense data.
 */
final class BlockCommands {
    private BlockCommands() {}

    private static final int WRITE_AND_VERIFY_10 = 0x2e;
    private static final int WRITE_AND_VERIFY_12 = 0xae;
    private static final int WRITE_AND_VERIFY_16 = 0x8e;

    /** READ(6/10/12/16): straight from the backend into the data-in buffer, no copy. */
    static ScsiResult read(LogicalUnit lu, ScsiCommand command) {
        BlockRequest r = transfer(lu, command);
        if (r.blocks() == 0) {
            return ScsiResult.OK;
        }
        int length = (int) r.lengthBytes();
        ByteBuf buf = command.alloc().directBuffer(length);
        try {
            lu.backend().read(r.offsetBytes(), buf.nioBuffer(0, length));
            buf.writerIndex(length);
            return ScsiResult.good(buf);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    /**
     * WRITE(6/10/12/16) and WRITE AND VERIFY(10/12/16). When the initiator sent fewer bytes than the
     * CDB asks for (expected transfer length below the transfer length), the whole blocks it sent
     * are written and the fabric reports the residual, as RFC 7143 §11.4.5.1 and libiscsi expect.
     */
    static ScsiResult write(LogicalUnit lu, ScsiCommand command) {
        BlockRequest r = transfer(lu, command);
        int blocks = (int) Math.min(r.blocks(), receivedBlocks(command));
        if (blocks == 0) {
            return ScsiResult.OK;
        }
        int op = command.opcode();
        // a verified write must be on the medium before we say it verified; so must every write when WCE=0
        boolean verify = op == WRITE_AND_VERIFY_10 || op == WRITE_AND_VERIFY_12 || op == WRITE_AND_VERIFY_16;
        boolean fua = r.fua() || verify || !lu.modePages().writeCacheEnabled();
        int length = blocks << BLOCK_SHIFT;
        try (DataOutView data = DataOutView.of(command.dataOut(), 0, length, command.alloc())) {
            lu.backend().write(r.offsetBytes(), data.nio(), fua);
        }
        return ScsiResult.OK;
    }

    /**
     * VERIFY(10/12/16) (SBC-3 §5.33): BYTCHK 00b verifies the medium (reads the range, so every
     * block's checksum is checked: damage is UNRECOVERED READ ERROR with its LBA); 01b compares the
     * data-out with the medium; 11b compares one data-out block with every block of the range. A
     * difference is MISCOMPARE with the offset of its first byte.
     */
    static ScsiResult verify(LogicalUnit lu, ScsiCommand command) {
        BlockRequest r = transfer(lu, command);
        int bytchk = bytchk(command.cdb());
        if (bytchk == 2) {
            throw ScsiFailure.invalidCdb(1, 2);
        }
        if (r.blocks() == 0) {
            return ScsiResult.OK;
        }
        long received = receivedBlocks(command);
        if (bytchk == 3 && received < 1) {
            throw ScsiFailure.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        long blocks = bytchk == 1 ? Math.min(r.blocks(), received) : r.blocks();
        ByteBuf out = command.dataOut();
        ByteBuf medium = command.alloc().directBuffer((int) Math.min(CHUNK_BYTES, blocks << BLOCK_SHIFT));
        try {
            long done = 0;
            long total = blocks << BLOCK_SHIFT;
            while (done < total) {
                int n = (int) Math.min(medium.capacity(), total - done);
                lu.backend().read(r.offsetBytes() + done, medium.nioBuffer(0, n));
                medium.setIndex(0, n);   // ByteBufUtil.equals compares readable bytes only
                if (bytchk == 1) {
                    // compare the whole chunk at once; look for the byte only when it differs
                    if (!ByteBufUtil.equals(medium, 0, out, out.readerIndex() + (int) done, n)) {
                        throw ScsiFailure.withInformation(SenseReason.MISCOMPARE_DURING_VERIFY, done + firstDifference(medium, out, out.readerIndex() + (int) done, n));
                    }
                } else if (bytchk == 3) {
                    for (int b = 0; b < n; b += BLOCK_SIZE) {
                        if (!ByteBufUtil.equals(medium, b, out, out.readerIndex(), BLOCK_SIZE)) {
                            throw ScsiFailure.withInformation(SenseReason.MISCOMPARE_DURING_VERIFY, done + b + firstDifference(medium.slice(b, BLOCK_SIZE), out, out.readerIndex(), BLOCK_SIZE));
                        }
                    }
                }
                done += n;
            }
        } finally {
            medium.release();
        }
        return ScsiResult.OK;
    }

    /** VERIFY's Data-Out: none when BYTCHK is 00b (range check only), else the transfer length's worth. */
    static long verifyDataOut(byte[] cdb) {
        return bytchk(cdb) == 0 ? 0 : BlockRequest.transferBytes(cdb);
    }

    private static int bytchk(byte[] cdb) { return (cdb[1] >>> 1) & 0x03; }

    /**
     * WRITE SAME(10/16) (SBC-3 §5.41, §5.42). With UNMAP and a zero pattern the range is
     * deallocated (it reads back as zeros: LBPRZ); otherwise the pattern block is written over the
     * range from one pooled chunk, never one allocation of the whole range. NDOB (16 only) means a
     * zero pattern without data-out.
     */
    static ScsiResult writeSame(LogicalUnit lu, ScsiCommand command) {
        BlockRequest r = BlockRequest.decode(command.cdb());
        r.checkRange(lu.capacityBlocks());
        if (r.blocks() == 0) {
            throw ScsiFailure.invalidCdb(r.lengthOffset(), -1);   // WSNZ=1: zero blocks is not "to the end"
        }
        if (r.blocks() > MAX_WRITE_SAME_BLOCKS) {
            throw ScsiFailure.invalidCdb(r.lengthOffset(), -1);
        }
        boolean unmap = (r.flags() & 0x08) != 0;
        boolean ndob = ndob(command.cdb());   // WRITE SAME(10) has no NDOB: its CDB usage data refuses bit 0
        ByteBuf out = command.dataOut();
        if (!ndob && (command.expectedLength() != BLOCK_SIZE || out == null || out.readableBytes() != BLOCK_SIZE)) {
            // the data-out of WRITE SAME is exactly one logical block: an initiator that announces
            // more or less is confused about the command, so refuse it rather than guess (as LIO does)
            throw ScsiFailure.invalidCdb(r.lengthOffset(), -1);
        }
        boolean zeros = ndob || isZero(out);
        BlockBackend backend = lu.backend();
        if (unmap && zeros) {
            backend.unmap(r.offsetBytes(), r.lengthBytes());
        } else {
            long total = r.lengthBytes();
            ByteBuf chunk = command.alloc().directBuffer((int) Math.min(CHUNK_BYTES, total));
            try {
                while (chunk.writableBytes() >= BLOCK_SIZE) {
                    if (ndob) {
                        chunk.writeZero(BLOCK_SIZE);
                    } else {
                        chunk.writeBytes(out, out.readerIndex(), BLOCK_SIZE);
                    }
                }
                for (long done = 0; done < total; ) {
                    int n = (int) Math.min(chunk.readableBytes(), total - done);
                    backend.write(r.offsetBytes() + done, chunk.nioBuffer(0, n), false);
                    done += n;
                }
            } finally {
                chunk.release();
            }
        }
        if (!lu.modePages().writeCacheEnabled()) {
            backend.flush();
        }
        return ScsiResult.OK;
    }

    /** WRITE SAME's Data-Out: one logical block, none with NDOB. */
    static long writeSameDataOut(byte[] cdb) {
        return ndob(cdb) ? 0 : BLOCK_SIZE;
    }

    private static boolean ndob(byte[] cdb) { return (cdb[1] & 0x01) != 0; }

    /**
     * UNMAP (SBC-3 §5.28): every descriptor is checked before any is applied, so a bad list
     * changes nothing. ANCHOR is refused by the CDB usage data (ANC_SUP=0).
     */
    static ScsiResult unmap(LogicalUnit lu, ScsiCommand command) {
        int listLength = unmapListLength(command.cdb());
        if (listLength == 0) {
            return ScsiResult.OK;
        }
        ByteBuf out = command.dataOut();
        if (listLength < 8 || out == null || out.readableBytes() < listLength) {
            throw ScsiFailure.of(SenseReason.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] p = new byte[listLength];
        out.getBytes(out.readerIndex(), p);
        // SBC-3 §5.28.2: descriptors beyond the parameter list are ignored, a partial one too
        int descriptorBytes = Math.min(Fields.u16(p, 2), listLength - 8) & ~15;
        int count = descriptorBytes / 16;
        if (count > MAX_UNMAP_DESCRIPTORS) {
            throw ScsiFailure.invalidParameter(2, -1);
        }
        long capacity = lu.capacityBlocks();
        long total = 0;
        for (int i = 0; i < count; i++) {
            int at = 8 + 16 * i;
            long lba = Fields.u64(p, at);
            long blocks = Fields.u32(p, at + 8);
            // SBC-3 §5.28: out of range only when LBA + NUMBER OF LOGICAL BLOCKS exceeds the
            // capacity, so an empty descriptor at the capacity itself names no block and is fine
            if (Long.compareUnsigned(lba, capacity) > 0 || blocks > capacity - lba) {
                throw ScsiFailure.of(SenseReason.LBA_OUT_OF_RANGE);
            }
            total += blocks;
            if (total > MAX_UNMAP_BLOCKS) {
                throw ScsiFailure.invalidParameter(at + 8, -1);
            }
        }
        for (int i = 0; i < count; i++) {
            int at = 8 + 16 * i;
            long blocks = Fields.u32(p, at + 8);
            if (blocks > 0) {
                lu.backend().unmap(Fields.u64(p, at) << BLOCK_SHIFT, blocks << BLOCK_SHIFT);
            }
        }
        if (!lu.modePages().writeCacheEnabled()) {
            lu.backend().flush();
        }
        return ScsiResult.OK;
    }

    /** UNMAP's PARAMETER LIST LENGTH: the Data-Out the command carries. */
    static int unmapListLength(byte[] cdb) {
        return Fields.u16(cdb, 7);
    }

    /**
     * COMPARE AND WRITE (SBC-3 §5.2): the data-out is N verify blocks then N write blocks; the
     * backend compares and writes atomically against every other writer (VMware ATS), across
     * cluster boundaries too (it holds every stripe lock of the range at once).
     *
     * <p>The initiator's expected transfer length must be exactly 2N blocks. One that differs means
     * initiator and target disagree on which blocks are compared and which written, so the
     * command is refused before anything is compared (as LIO does) rather than truncated into a
     * compare of the wrong bytes. This also catches N = 0 sent with data (an initiator that wrote
     * 256 into the one-byte NUMBER OF LOGICAL BLOCKS field).
     */
    static ScsiResult compareAndWrite(LogicalUnit lu, ScsiCommand command) {
        BlockRequest r = BlockRequest.decode(command.cdb());
        r.checkRange(lu.capacityBlocks());
        if (r.blocks() > MAX_COMPARE_AND_WRITE_BLOCKS) {
            throw ScsiFailure.invalidCdb(13, -1);
        }
        int length = (int) r.lengthBytes();
        if (command.expectedLength() != 2 * length) {
            throw ScsiFailure.invalidCdb(13, -1);
        }
        if (r.blocks() == 0) {
            return ScsiResult.OK;   // SBC-3: zero blocks is not an error
        }
        ByteBuf out = command.dataOut();
        if (out == null || out.readableBytes() != 2 * length) {
            throw ScsiFailure.invalidCdb(13, -1);
        }
        try (DataOutView expected = DataOutView.of(out, 0, length, command.alloc());
             DataOutView replacement = DataOutView.of(out, length, length, command.alloc())) {
            lu.backend().compareAndWrite(r.offsetBytes(), expected.nio(), replacement.nio());
        }
        if (r.fua() || !lu.modePages().writeCacheEnabled()) {
            lu.backend().flush();
        }
        return ScsiResult.OK;
    }

    /** COMPARE AND WRITE's Data-Out: N blocks to verify, then N blocks to write. */
    static long compareAndWriteDataOut(byte[] cdb) {
        return 2 * BlockRequest.transferBytes(cdb);
    }

    /** Attempts one ORWRITE makes before answering BUSY; each failed one means another writer got in. */
    private static final int OR_WRITE_ATTEMPTS = 64;

    /**
     * ORWRITE(16) (SBC-3 §5.10): each block becomes the bitwise OR of itself and the data-out. The
     * read-OR-write is made atomic against other writers by writing with the engine's compare
     * and write: if the blocks changed after we read them, we read again. After
     * {@link #OR_WRITE_ATTEMPTS} lost races we answer BUSY (SAM-5 §5.3.1) rather than loop on.
     * As for WRITE, only the whole blocks the initiator sent are processed.
     */
    static ScsiResult orWrite(LogicalUnit lu, ScsiCommand command) {
        BlockRequest r = transfer(lu, command);
        int blocks = (int) Math.min(r.blocks(), receivedBlocks(command));
        if (blocks == 0) {
            return ScsiResult.OK;
        }
        int length = blocks << BLOCK_SHIFT;
        ByteBuf out = command.dataOut();
        java.nio.ByteBuffer current = java.nio.ByteBuffer.allocate(length);
        java.nio.ByteBuffer result = java.nio.ByteBuffer.allocate(length);
        for (int attempt = 0; attempt < OR_WRITE_ATTEMPTS; attempt++) {
            current.clear();
            lu.backend().read(r.offsetBytes(), current);
            current.flip();
            result.clear();
            int in = out.readerIndex();
            int i = 0;
            for (; i + 8 <= length; i += 8) {
                result.putLong(i, current.getLong(i) | out.getLong(in + i));
            }
            for (; i < length; i++) {
                result.put(i, (byte) (current.get(i) | out.getByte(in + i)));
            }
            try {
                lu.backend().compareAndWrite(r.offsetBytes(), current.duplicate(), result.duplicate());
            } catch (BackstoreFailure raced) {
                if (raced.reason() != BackstoreFailure.Reason.MISCOMPARE) {
                    throw raced;
                }
                continue;   // another writer changed the blocks since we read them
            }
            if (r.fua() || !lu.modePages().writeCacheEnabled()) {
                lu.backend().flush();
            }
            return ScsiResult.OK;
        }
        return new ScsiResult(ScsiResult.BUSY, null, null);
    }

    /**
     * READ DEFECT DATA(10/12) (SBC-3 §5.18, §5.19): a virtual disk has no defects, so both lists
     * are valid and empty, in whichever format was asked for (an empty list reads the same in
     * every format). PLISTV/GLISTV say which lists the header speaks for: the ones requested.
     */
    static ScsiResult readDefectData(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        boolean ten = command.opcode() == 0x37;
        int flags = (ten ? cdb[2] : cdb[1]) & 0x1f;   // REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT
        if ((flags & 0x07) == 0x07) {
            throw ScsiFailure.invalidCdb(ten ? 2 : 1, 2);   // format 111b is reserved
        }
        byte[] header = new byte[ten ? 4 : 8];
        header[1] = (byte) flags;   // PLISTV, GLISTV and the format echo the request bit for bit
        // DEFECT LIST LENGTH (and READ DEFECT DATA(12)'s GENERATION CODE) stay zero
        long allocation = ten ? Fields.u16(cdb, 7) : Fields.u32(cdb, 6);
        return DataIn.good(command, header, allocation);
    }

    /** SYNCHRONIZE CACHE(10/16): the range is checked, then everything is flushed (one group commit). */
    static ScsiResult synchronizeCache(LogicalUnit lu, ScsiCommand command) {
        BlockRequest r = BlockRequest.decode(command.cdb());
        r.checkRange(lu.capacityBlocks());
        lu.backend().flush();
        return ScsiResult.OK;
    }

    /** PRE-FETCH(10/16): there is no cache to load, so GOOD once the range is valid (SBC-3 §5.9). */
    static ScsiResult prefetch(LogicalUnit lu, ScsiCommand command) {
        BlockRequest.decode(command.cdb()).checkRange(lu.capacityBlocks());
        return ScsiResult.OK;
    }

    /** READ CAPACITY(10) (SBC-3 §5.15): a LOGICAL BLOCK ADDRESS without PMI is refused. */
    static ScsiResult readCapacity10(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        if ((cdb[8] & 0x01) == 0 && Fields.u32(cdb, 2) != 0) {
            throw ScsiFailure.invalidCdb(2, -1);
        }
        byte[] data = new byte[8];
        // FFFFFFFFh tells the initiator to use READ CAPACITY(16)
        Fields.put32(data, 0, Math.min(lu.capacityBlocks() - 1, 0xffffffffL));
        Fields.put32(data, 4, BLOCK_SIZE);
        return DataIn.good(command, data, data.length);
    }

    /** READ CAPACITY(16) (SBC-3 §5.16): thin provisioning enabled, unmapped blocks read as zeros. */
    static ScsiResult readCapacity16(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        if ((cdb[14] & 0x01) == 0 && Fields.u64(cdb, 2) != 0) {
            throw ScsiFailure.invalidCdb(2, -1);
        }
        byte[] data = new byte[32];
        Fields.put64(data, 0, lu.capacityBlocks() - 1);
        Fields.put32(data, 8, BLOCK_SIZE);
        data[13] = (byte) PHYSICAL_BLOCK_EXPONENT;
        data[14] = (byte) (0x80 | 0x40);   // LBPME, LBPRZ; LOWEST ALIGNED LOGICAL BLOCK ADDRESS 0
        return DataIn.good(command, data, Fields.u32(cdb, 10));
    }

    /** Most LBA status descriptors one GET LBA STATUS returns. */
    private static final int MAX_LBA_STATUS_DESCRIPTORS = 64;

    /**
     * GET LBA STATUS (SBC-3 §5.6): extents from the starting LBA, each mapped or deallocated, as
     * many as the allocation length holds (at least the first).
     */
    static ScsiResult getLbaStatus(LogicalUnit lu, ScsiCommand command) {
        byte[] cdb = command.cdb();
        long lba = Fields.u64(cdb, 2);
        long allocation = Fields.u32(cdb, 10);
        long capacity = lu.capacityBlocks();
        new BlockRequest(lba, 0, false, false, 0, 0).checkRange(capacity);
        int wanted = (int) Math.max(1, Math.min(MAX_LBA_STATUS_DESCRIPTORS, (allocation - 8) / 16));
        byte[] data = new byte[8 + 16 * wanted];
        int n = 0;
        while (n < wanted && lba < capacity) {
            long maxBytes = Math.min(capacity - lba, 0xffffffffL) << BLOCK_SHIFT;
            Extent e = lu.backend().allocationAt(lba << BLOCK_SHIFT, maxBytes);
            long blocks = Math.max(1, Math.min((e.length() + BLOCK_SIZE - 1) >>> BLOCK_SHIFT, capacity - lba));
            int at = 8 + 16 * n;
            Fields.put64(data, at, lba);
            Fields.put32(data, at + 8, blocks);
            data[at + 12] = (byte) (e.data() ? 0x0 : 0x1);   // PROVISIONING STATUS: mapped / deallocated
            lba += blocks;
            n++;
        }
        int length = 8 + 16 * n;
        Fields.put32(data, 0, length - 4);   // PARAMETER DATA LENGTH: the bytes after this field
        return DataIn.good(command, java.util.Arrays.copyOf(data, length), allocation);
    }

    /** Decode, range check and MAXIMUM TRANSFER LENGTH check shared by READ, WRITE and VERIFY. */
    private static BlockRequest transfer(LogicalUnit lu, ScsiCommand command) {
        BlockRequest r = BlockRequest.decode(command.cdb());
        r.checkRange(lu.capacityBlocks());
        if (r.blocks() > MAX_TRANSFER_BLOCKS) {
            throw ScsiFailure.invalidCdb(r.lengthOffset(), -1);
        }
        return r;
    }

    private static int firstDifference(ByteBuf a, ByteBuf b, int bIndex, int length) {
        for (int i = 0; i < length; i++) {
            if (a.getByte(a.readerIndex() + i) != b.getByte(bIndex + i)) {
                return i;
            }
        }
        return length;
    }

    private static long receivedBlocks(ScsiCommand command) {
        return command.dataOut() == null ? 0 : command.dataOut().readableBytes() >>> BLOCK_SHIFT;
    }

    private static boolean isZero(ByteBuf block) {
        int i = block.readerIndex();
        int end = i + block.readableBytes();
        for (; i + 8 <= end; i += 8) {
            if (block.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (block.getByte(i) != 0) {
                return false;
            }
        }
        return true;
    }

}
