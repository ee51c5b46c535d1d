package io.depot.appliance.hypervisor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The guest's blocks as the host expects them, for checking a disk independently of the guest:
 * block i of run R is 64 lines "depot-hv run=R block=%010d " padded with '.' to 63 characters
 * plus a newline (guest-init.sh makes the same bytes with awk).
 */
final class GuestBlocks {
    static final int BLOCK = 4096;

    private GuestBlocks() {}

    static byte[] block(String run, int i) {
        StringBuilder line = new StringBuilder(String.format("depot-hv run=%s block=%010d ", run, i));
        while (line.length() < 63) {
            line.append('.');
        }
        line.append('\n');
        return line.toString().repeat(BLOCK / 64).getBytes(StandardCharsets.US_ASCII);
    }

    /** The disk holds exactly blocks 0..count-1 of the run, and zeros after them. */
    static void assertDiskHolds(byte[] disk, String run, int count, String what) {
        for (int b = 0; b < count; b++) {
            int i = b;
            byte[] got = Arrays.copyOfRange(disk, i * BLOCK, (i + 1) * BLOCK);
            assertArrayEquals(block(run, i), got, () -> what + ": block " + i + " of " + count + " differs: \""
                    + new String(got, 0, 64, StandardCharsets.US_ASCII).strip() + "\"");
        }
        for (int at = count * BLOCK; at < disk.length; at++) {
            if (disk[at] != 0) {
                fail(what + ": byte " + at + " after the " + count + " written blocks is not zero");
            }
        }
    }
}
