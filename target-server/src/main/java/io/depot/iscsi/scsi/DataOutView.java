package io.depot.iscsi.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;

/**
 * A range of the data-out as one NIO buffer for the backend. A single-component buffer (the
 * usual case) is viewed in place; a composite one is gathered once into a pooled buffer,
 * released on close. The data-out itself stays the fabric's (ScsiCommand's ownership rule).
 */
final class DataOutView implements AutoCloseable {
    private final ByteBuf copy;
    private final ByteBuffer nio;

    private DataOutView(ByteBuf copy, ByteBuffer nio) {
        this.copy = copy;
        this.nio = nio;
    }

    /** Bytes {@code [offset, offset+length)} counted from the data-out's reader index. */
    static DataOutView of(ByteBuf dataOut, int offset, int length, ByteBufAllocator alloc) {
        int index = dataOut.readerIndex() + offset;
        if (dataOut.nioBufferCount() == 1) {
            return new DataOutView(null, dataOut.nioBuffer(index, length));
        }
        ByteBuf copy = alloc.directBuffer(length);
        try {
            copy.writeBytes(dataOut, index, length);
            return new DataOutView(copy, copy.nioBuffer(0, length));
        } catch (RuntimeException e) {
            copy.release();
            throw e;
        }
    }

    ByteBuffer nio() { return nio; }

    @Override
    public void close() {
        if (copy != null) {
            copy.release();
        }
    }
}
