package io.depot.engine.scrub;

import io.depot.engine.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Payloads whose every 4 KiB block starts with a unique tag ({@code TAG:<name>:<offset>;}), and the
 * search of a pool's data file for them: how a test finds where a volume's block lies on disk
 * without any hook into the engine.
 */
final class TaggedBlocks {
    static final int BLOCK = 4096;

    private TaggedBlocks() {}

    static String tag(String name, long offset) { return "TAG:" + name + ":" + offset + ";"; }

    /** {@code length} bytes (a multiple of 4 KiB) for byte {@code offset} of what {@code name} names. */
    static ByteBuffer payload(String name, long offset, int length) {
        ByteBuffer b = TestData.pattern(name.hashCode(), offset, length);
        for (int at = 0; at < length; at += BLOCK) {
            b.put(at, tag(name, offset + at).getBytes(StandardCharsets.US_ASCII));
        }
        return b;
    }

    /** Every tagged block of the data file: tag to data file offset. */
    static Map<String, Long> index(Path dataFile) throws IOException {
        Map<String, Long> out = new HashMap<>();
        try (FileChannel ch = FileChannel.open(dataFile, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            for (long pos = 0; pos < ch.size(); pos += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0) {
                    // fill
                }
                for (int at = 0; at + BLOCK <= buf.position(); at += BLOCK) {
                    if (buf.get(at) == 'T' && buf.get(at + 1) == 'A' && buf.get(at + 2) == 'G' && buf.get(at + 3) == ':') {
                        byte[] head = new byte[96];
                        buf.get(at, head);
                        String s = new String(head, StandardCharsets.US_ASCII);
                        int end = s.indexOf(';');
                        if (end > 0 && out.put(s.substring(0, end + 1), pos + at) != null) {
                            throw new IllegalStateException("tag " + s.substring(0, end + 1) + " found twice in the data file");
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Damages the block at {@code position}: one byte flipped, or (whole) all 4 KiB replaced by random bytes. */
    static void corrupt(Path dataFile, long position, boolean whole, Random rnd) throws IOException {
        try (FileChannel ch = FileChannel.open(dataFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (whole) {
                byte[] junk = new byte[BLOCK];
                rnd.nextBytes(junk);
                ch.write(ByteBuffer.wrap(junk), position);
            } else {
                long at = position + rnd.nextInt(BLOCK);
                ByteBuffer one = ByteBuffer.allocate(1);
                ch.read(one, at);
                one.put(0, (byte) (one.get(0) ^ (1 + rnd.nextInt(255))));
                ch.write(one.rewind(), at);
            }
            ch.force(false);
        }
    }
}
