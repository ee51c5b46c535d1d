package io.depot.engine.sim;

import static org.junit.jupiter.api.Assertions.*;

import io.depot.engine.StorageIoException;
import io.depot.engine.store.MetaBatch;
import io.depot.engine.store.MetadataStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The simulated stores behave as the simulation claims: RocksDB ordering, and power-cut semantics. */
class SimulatedStoresTest {
    private static byte[] k(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void metadataKeysOrderAsUnsignedBytesAndFloorRespectsTheLowerBound() {
        SimulatedMetadataStore meta = new SimulatedMetadataStore(new CrashSwitch(new Random(1)));
        meta.write(new MetaBatch().put(k(0x01), k(1)).put(k(0x7F), k(2)).put(k(0x80), k(3)).put(k(0xFF, 0), k(4)));
        List<Integer> scanned = new ArrayList<>();
        meta.scan(k(0x00), k(0xFF, 0), (key, v) -> scanned.add((int) v[0]));
        assertEquals(List.of(1, 2, 3), scanned, "scan is [from, to) in unsigned order");
        MetadataStore.Entry e = meta.floor(k(0xFE), k(0x00));
        assertArrayEquals(k(0x80), e.key());
        assertNull(meta.floor(k(0xFE), k(0x81)), "the floor below the lower bound is no answer");
        meta.write(new MetaBatch().delete(k(0x80)).put(k(0x02), k(5)));
        assertNull(meta.get(k(0x80)));
        assertArrayEquals(k(5), meta.get(k(0x02)));
    }

    @Test
    void failedMetadataWriteAppliesNothing() {
        SimulatedMetadataStore meta = new SimulatedMetadataStore(new CrashSwitch(new Random(1)));
        meta.failWrite(1);
        assertThrows(StorageIoException.class, () -> meta.write(new MetaBatch().put(k(1), k(1)).put(k(2), k(2))));
        assertNull(meta.get(k(1)));
        meta.write(new MetaBatch().put(k(1), k(1)));
        assertArrayEquals(k(1), meta.get(k(1)));
    }

    @Test
    void metadataBatchAtTheCrashPointLandsWholeOrNotAtAll() {
        Set<Integer> outcomes = new HashSet<>();
        Random random = new Random(42);
        for (int round = 0; round < 40; round++) {
            CrashSwitch sw = new CrashSwitch(random);
            SimulatedMetadataStore meta = new SimulatedMetadataStore(sw);
            sw.armAfter(0);
            assertThrows(SimulatedCrash.class, () -> meta.write(new MetaBatch().put(k(1), k(1)).put(k(2), k(2))));
            assertThrows(SimulatedCrash.class, () -> meta.get(k(1)), "nothing after the crash point");
            sw.reset();
            int present = (meta.get(k(1)) != null ? 1 : 0) + (meta.get(k(2)) != null ? 1 : 0);
            assertNotEquals(1, present, "a batch is atomic");
            outcomes.add(present);
        }
        assertEquals(Set.of(0, 2), outcomes, "both fates occur");
    }

    private static ByteBuffer sectors(int count, int value) {
        byte[] b = new byte[count * 512];
        java.util.Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    private static int sectorValue(SimulatedBlockStore s, long sector) {
        ByteBuffer dst = ByteBuffer.allocate(512);
        s.read(dst, sector * 512);
        byte[] a = dst.array();
        for (byte x : a) {
            assertEquals(a[0], x, "a sector is atomic");
        }
        return a[0];
    }

    @Test
    void powerCutKeepsForcedWritesAndGivesEachLaterWriteAFate() {
        Set<String> fates = new HashSet<>();
        for (int seed = 0; seed < 200; seed++) {
            SimulatedBlockStore store = new SimulatedBlockStore(new CrashSwitch(new Random(seed)));
            store.write(sectors(4, 1), 0);
            store.force();
            store.write(sectors(4, 2), 0);
            store.write(sectors(4, 3), 8 * 512);
            SimulatedBlockStore after = store.crash(new Random(seed));
            StringBuilder first = new StringBuilder();
            for (int s = 0; s < 4; s++) {
                int v = sectorValue(after, s);
                assertTrue(v == 1 || v == 2, "sector " + s + " is the forced value or the later one, got " + v);
                first.append(v);
                int tail = sectorValue(after, 8 + s);
                assertTrue(tail == 0 || tail == 3);
            }
            fates.add(first.toString());
            long expectedLength = 4 * 512;
            for (int s = 0; s < 4; s++) {
                if (sectorValue(after, 8 + s) == 3) {
                    expectedLength = (8 + s + 1) * 512L;
                }
            }
            assertEquals(expectedLength, after.dirtyExtent(), "the length after the cut is what the surviving data reaches");
            assertEquals(0, after.pendingWrites());
        }
        assertTrue(fates.contains("1111") && fates.contains("2222") && fates.size() > 2,
                "vanished, survived and torn writes all occur: " + fates);
    }

    @Test
    void interruptedForceMakesNothingDurable() {
        CrashSwitch sw = new CrashSwitch(new Random(3));
        SimulatedBlockStore store = new SimulatedBlockStore(sw);
        store.write(sectors(1, 7), 0);
        sw.armAfter(0);
        assertThrows(SimulatedCrash.class, store::force);
        assertEquals(1, store.pendingWrites(), "the force did not complete");
        sw.reset();
        boolean lost = false;
        for (int seed = 0; seed < 20 && !lost; seed++) {
            lost = sectorValue(store.crash(new Random(seed)), 0) == 0;
        }
        assertTrue(lost, "an unforced write can vanish");
    }

    @Test
    void stampsIdentifyTheirOriginAndDetectMixedSectors() {
        byte[] b = new byte[1024];
        new SectorStamp(3, 17, 99).writeTo(b, 0);
        new SectorStamp(4, 18, 100).writeTo(b, 512);
        assertEquals(new SectorStamp.Stamped(new SectorStamp(3, 17, 99)), SectorStamp.decode(b, 0));
        System.arraycopy(b, 512 + 256, b, 256, 256);   // half of one write, half of another
        assertInstanceOf(SectorStamp.Garbage.class, SectorStamp.decode(b, 0));
        assertInstanceOf(SectorStamp.Zeros.class, SectorStamp.decode(new byte[512], 0));
    }
}
