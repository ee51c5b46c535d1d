package io.depot.iscsi.fabric.pdu;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** iSCSI header and data digests: CRC32C (RFC 7143 §13.1, RFC 3385), sent least significant byte first. */
public final class Digest {
    private Digest() {}

    public static int crc32c(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, buf, index, length);
        return (int) crc.getValue();
    }

    static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer b : buf.nioBuffers(index, length)) {
                crc.update(b);
            }
        }
    }

    /** Padding bytes that follow a segment of {@code length} bytes (segments end on 4-byte boundaries). */
    public static int padding(int length) {
        return -length & 3;
    }
}
