package io.depot.nfs.xdr;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads XDR (RFC 4506) from a ByteBuf, checking every length against what is left in the buffer
 * and against a caller-given cap before anything is allocated. The reader does not own the
 * buffer: whoever handed it over keeps releasing it.
 *
 * <p>Padding bytes are skipped without checking that they are zero (RFC 4506 §3 says senders
 * write zeros; being lenient on receipt costs nothing and some clients are sloppy).
 */
public final class XdrReader {
    private final ByteBuf buf;

    public XdrReader(ByteBuf buf) {
        this.buf = buf;
    }

    /** The underlying buffer, positioned at the next unread item. */
    public ByteBuf buffer() { return buf; }

    public int remaining() { return buf.readableBytes(); }

    private void need(int bytes, String what) {
        if (bytes < 0 || buf.readableBytes() < bytes) {
            throw new XdrDecodeException("truncated XDR: " + what + " needs " + bytes + " bytes, "
                    + buf.readableBytes() + " left");
        }
    }

    /** RFC 4506 §4.1. */
    public int readInt() {
        need(4, "int");
        return buf.readInt();
    }

    /** RFC 4506 §4.2: as a long so that values above 2^31 stay positive. */
    public long readUnsignedInt() {
        need(4, "unsigned int");
        return buf.readUnsignedInt();
    }

    /** RFC 4506 §4.5 (hyper and unsigned hyper share the encoding; Java has one long). */
    public long readHyper() {
        need(8, "hyper");
        return buf.readLong();
    }

    /** RFC 4506 §4.4: only 0 and 1 are booleans. */
    public boolean readBoolean() {
        int v = readInt();
        if (v != 0 && v != 1) {
            throw new XdrDecodeException("boolean with value " + v);
        }
        return v == 1;
    }

    /** RFC 4506 §4.19: optional-data is a boolean "follows" flag. */
    public boolean readOptional() { return readBoolean(); }

    /** A length word for a variable item, checked against {@code max} and the bytes left. */
    private int readLength(int max, String what, int bytesPerItem) {
        long n = readUnsignedInt();
        if (n > max) {
            throw new XdrDecodeException(what + " of length " + n + " exceeds the maximum " + max);
        }
        // a count that cannot fit in what is left is refused before anything is allocated
        if (n * bytesPerItem > buf.readableBytes()) {
            throw new XdrDecodeException("truncated XDR: " + what + " of length " + n + " with "
                    + buf.readableBytes() + " bytes left");
        }
        return (int) n;
    }

    /** Fixed-length opaque (RFC 4506 §4.9). */
    public byte[] readFixedOpaque(int length) {
        int padded = padded(length);
        need(padded, "fixed opaque");
        byte[] b = new byte[length];
        buf.readBytes(b);
        buf.skipBytes(padded - length);
        return b;
    }

    /** Variable-length opaque (RFC 4506 §4.10) of at most {@code max} bytes. */
    public byte[] readOpaque(int max) {
        int n = readLength(max, "opaque", 1);
        return readFixedOpaque(n);
    }

    /**
     * Variable-length opaque as a slice of the underlying buffer, without copying (a WRITE's
     * payload). The slice is not retained: call {@code retain()} to keep it beyond the call.
     */
    public ByteBuf readOpaqueSlice(int max) {
        int n = readLength(max, "opaque", 1);
        int padded = padded(n);
        need(padded, "opaque");
        ByteBuf slice = buf.slice(buf.readerIndex(), n);
        buf.skipBytes(padded);
        return slice;
    }

    /** String (RFC 4506 §4.11) of at most {@code max} bytes; decoded as UTF-8, invalid bytes replaced. */
    public String readString(int max) {
        return new String(readOpaque(max), StandardCharsets.UTF_8);
    }

    /**
     * The count of a variable-length array (RFC 4506 §4.13) of at most {@code max} elements,
     * each taking at least {@code minItemBytes} on the wire, so that a huge count with a short
     * buffer is refused at once.
     */
    public int readArrayLength(int max, int minItemBytes) {
        return readLength(max, "array", Math.max(1, minItemBytes));
    }

    public void skip(int bytes) {
        need(bytes, "skip");
        buf.skipBytes(bytes);
    }

    /** Arguments must be consumed exactly; trailing bytes mean the client and we disagree. */
    public void expectEnd() {
        if (buf.isReadable()) {
            throw new XdrDecodeException(buf.readableBytes() + " unexpected trailing bytes");
        }
    }

    /** Length rounded up to a multiple of four (RFC 4506 §3). */
    public static int padded(int length) {
        return (length + 3) & ~3;
    }
}
