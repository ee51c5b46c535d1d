package io.depot.iscsi.fabric.login;

import java.util.Arrays;

/**
 * Cuts one outgoing text into data segments no longer than the peer's MaxRecvDataSegmentLength.
 * A key=value pair may straddle two PDUs (RFC 7143 §6.1), so the cut is by bytes. Every piece but
 * the last goes out with C=1 (and T=0 / F=0); the last goes with C=0.
 */
public final class TextChunker {
    private final byte[] text;
    private final int maxChunk;
    private int offset;

    public TextChunker(byte[] text, int maxChunk) {
        if (maxChunk < 1) {
            throw new IllegalArgumentException("maxChunk must be positive");
        }
        this.text = text.clone();
        this.maxChunk = maxChunk;
    }

    /** The next piece; the first call on an empty text gives an empty piece. */
    public byte[] next() {
        int end = Math.min(text.length, offset + maxChunk);
        byte[] piece = Arrays.copyOfRange(text, offset, end);
        offset = end;
        return piece;
    }

    /** Whether pieces remain after those already handed out (the C bit of the last one handed out). */
    public boolean hasMore() {
        return offset < text.length;
    }
}
