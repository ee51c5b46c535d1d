package io.depot.nfs.xdr;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.ReferenceCounted;
import java.nio.charset.StandardCharsets;

/**
 * Writes XDR (RFC 4506) into pooled buffers. Small items go into a current buffer; a large
 * payload handed over with {@link #writeOpaque(ByteBuf)} is appended as a component without
 * copying (a READ reply's data goes from the volume's buffer to the socket as it is).
 *
 * <p>{@link #finish()} hands the result to the caller; {@link #release()} drops it (an error
 * reply replaces a half-written one).
 */
public final class XdrWriter {
    private static final byte[] ZEROS = new byte[4];
    private static final int INITIAL = 512;

    private final ByteBufAllocator alloc;
    private final boolean trailers;
    private CompositeByteBuf parts; // only when a payload has been appended
    private ByteBuf current;
    private ReferenceCounted trailer;

    public XdrWriter(ByteBufAllocator alloc) {
        this(alloc, false);
    }

    /** @param trailers whether the transport can send a {@link #endWith trailer} (a stream; not a datagram) */
    public XdrWriter(ByteBufAllocator alloc, boolean trailers) {
        this.alloc = alloc;
        this.trailers = trailers;
        this.current = alloc.buffer(INITIAL);
    }

    /** Whether {@link #endWith} may be used. */
    public boolean acceptsTrailer() {
        return trailers;
    }

    /**
     * Ends the XDR with {@code trailer}: bytes the transport sends after what was written (the
     * borrowed views of a READ), of the transport's own type. Takes ownership; nothing may be
     * written after it.
     */
    public void endWith(ReferenceCounted trailer) {
        if (!trailers || this.trailer != null) {
            trailer.release();
            throw new IllegalStateException(trailers ? "a trailer was already added" : "this transport takes no trailer");
        }
        this.trailer = trailer;
    }

    /** The trailer, handed to the caller (after {@link #finish()}), or null. */
    public ReferenceCounted takeTrailer() {
        ReferenceCounted t = trailer;
        trailer = null;
        return t;
    }

    /** The allocator replies are built from (for a payload to hand to {@link #writeOpaque(ByteBuf)}). */
    public ByteBufAllocator alloc() {
        return alloc;
    }

    public XdrWriter writeInt(int v) {
        current.writeInt(v);
        return this;
    }

    public XdrWriter writeUnsignedInt(long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("unsigned int out of range: " + v);
        }
        current.writeInt((int) v);
        return this;
    }

    public XdrWriter writeHyper(long v) {
        current.writeLong(v);
        return this;
    }

    public XdrWriter writeBoolean(boolean v) {
        current.writeInt(v ? 1 : 0);
        return this;
    }

    public XdrWriter writeFixedOpaque(byte[] b) {
        current.writeBytes(b);
        current.writeBytes(ZEROS, 0, XdrReader.padded(b.length) - b.length);
        return this;
    }

    public XdrWriter writeOpaque(byte[] b) {
        current.writeInt(b.length);
        return writeFixedOpaque(b);
    }

    /** Variable-length opaque whose bytes are appended without copying; takes ownership of {@code data}. */
    public XdrWriter writeOpaque(ByteBuf data) {
        int n = data.readableBytes();
        current.writeInt(n);
        if (n < 1024) { // copying a small payload is cheaper than a component
            current.writeBytes(data, data.readerIndex(), n);
            data.release();
        } else {
            if (parts == null) {
                parts = alloc.compositeBuffer(Integer.MAX_VALUE);
            }
            parts.addComponent(true, current);
            parts.addComponent(true, data);
            current = alloc.buffer(INITIAL);
        }
        current.writeBytes(ZEROS, 0, XdrReader.padded(n) - n);
        return this;
    }

    public XdrWriter writeString(String s) {
        return writeOpaque(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes written so far. */
    public int size() {
        return (parts == null ? 0 : parts.readableBytes()) + current.readableBytes();
    }

    /** The XDR written; ownership passes to the caller and the writer must not be used again. */
    public ByteBuf finish() {
        ByteBuf out;
        if (parts == null) {
            out = current;
        } else {
            parts.addComponent(true, current);
            out = parts;
        }
        current = null;
        parts = null;
        return out;
    }

    /** Drops everything written. */
    public void release() {
        if (trailer != null) {
            trailer.release();
            trailer = null;
        }
        if (current != null) {
            current.release();
            current = null;
        }
        if (parts != null) {
            parts.release();
            parts = null;
        }
    }
}
