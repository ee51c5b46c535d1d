package io.depot.iscsi.fabric.login;

import java.io.ByteArrayOutputStream;

/**
 * Gathers the data segments of a text that spans PDUs with C=1 (RFC 7143 §11.10.2, §11.12.2).
 * Bounded: RFC 7143 §6.1 requires accepting at least 8192 bytes of key=value data, and 64 KiB
 * when authentication items may be long; we accept 64 KiB and no more, so one initiator cannot
 * grow our memory without limit.
 */
public final class TextAccumulator {
    public static final int MAX_TEXT_LENGTH = 65536;

    private final ByteArrayOutputStream text = new ByteArrayOutputStream();

    /** Appends one PDU's data; false when the total would exceed {@link #MAX_TEXT_LENGTH}. */
    public boolean append(byte[] data) {
        if (data == null || data.length == 0) {
            return true;
        }
        if (text.size() + data.length > MAX_TEXT_LENGTH) {
            return false;
        }
        text.writeBytes(data);
        return true;
    }

    /** The whole text gathered so far, and starts over. */
    public byte[] drain() {
        byte[] all = text.toByteArray();
        text.reset();
        return all;
    }

    public boolean isEmpty() {
        return text.size() == 0;
    }
}
