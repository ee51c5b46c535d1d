package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Task attributes over the wire: a READ sent ORDERED right behind a SIMPLE WRITE of the same
 * blocks, without waiting for the write, must see the write's data (SAM-5 §8.6: an ORDERED task
 * starts only after every earlier task ended). Repeated with fresh data so that a target running
 * the two concurrently would be caught.
 */
class OrderedTaskTest {
    private static final int SIMPLE = 1;
    private static final int ORDERED = 2;

    @TempDir Path dir;

    @Test
    void anOrderedReadSeesTheSimpleWritesSentBeforeIt() throws Exception {
        try (TargetFixture target = new TargetFixture(dir, 64L << 20, 0);
             RawInitiator i = RawInitiator.login(target.service.address(), "iqn.2026-11.test:ordered", 0x23d0_0000_0001L,
                     TargetFixture.IQN)) {
            i.clearUnitAttentions();
            int blocks = 64; // 32 KiB: within FirstBurstLength, so all of it goes as immediate data
            for (int round = 0; round < 300; round++) {
                byte[] data = new byte[blocks * 512];
                Arrays.fill(data, (byte) (round + 1));
                long lba = (round % 16) * blocks;
                int w1 = i.submit(0, RawInitiator.write16(lba, blocks / 2), Arrays.copyOf(data, data.length / 2), 0, SIMPLE);
                int w2 = i.submit(0, RawInitiator.write16(lba + blocks / 2, blocks / 2),
                        Arrays.copyOfRange(data, data.length / 2, data.length), 0, SIMPLE);
                int r = i.submit(0, RawInitiator.read16(lba, blocks), null, data.length, ORDERED);
                Map<Integer, Integer> status = new HashMap<>();
                ByteArrayOutputStream read = new ByteArrayOutputStream();
                byte[] readBuf = new byte[data.length];
                while (status.size() < 3) {
                    RawInitiator.Pdu p = i.receive();
                    int tag = p.word(16);
                    if (p.opcode() == RawInitiator.DATA_IN) {
                        System.arraycopy(p.data(), 0, readBuf, p.word(40), p.data().length);
                        read.write(p.data());
                        if ((p.flags() & 0x01) != 0) {
                            i.statusSeen(p);
                            status.put(tag, p.byteAt(3));
                        }
                    } else if (p.opcode() == RawInitiator.SCSI_RSP) {
                        i.statusSeen(p);
                        status.put(tag, p.byteAt(3));
                    } else {
                        throw new AssertionError("unexpected " + p);
                    }
                }
                assertEquals(Map.of(w1, 0, w2, 0, r, 0), status, "round " + round);
                assertEquals(data.length, read.size());
                assertArrayEquals(data, readBuf, "round " + round + ": the ORDERED read ran before the writes sent ahead of it");
            }
        }
    }
}
