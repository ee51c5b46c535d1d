package io.depot.iscsi.scsi;

import io.netty.buffer.ByteBuf;

/** Builds data-in buffers for small parameter data (INQUIRY, MODE SENSE, reports). */
final class DataIn {
    private DataIn() {}

    /**
     * The first {@code min(data.length, allocationLength)} bytes of {@code data}: SPC-4 §4.2.5.6,
     * the device server returns no more than the allocation length and that is not an error.
     */
    static ScsiResult good(ScsiCommand command, byte[] data, long allocationLength) {
        int n = (int) Math.min(data.length, allocationLength);
        if (n == 0) {
            return ScsiResult.OK;
        }
        ByteBuf buf = command.alloc().ioBuffer(n);
        buf.writeBytes(data, 0, n);
        return ScsiResult.good(buf);
    }
}
