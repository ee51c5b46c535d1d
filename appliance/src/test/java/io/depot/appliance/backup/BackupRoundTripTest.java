package io.depot.appliance.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.appliance.daemon.Appliance;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export and import through two real engine pools (different cluster sizes): a full stream and two
 * incrementals restore every byte of every snapshot; corrupt, truncated, foreign and wrong-base
 * streams are refused with a clear message and leave no partial volume and no half-applied change.
 */
class BackupRoundTripTest {
    private static final long MiB = 1 << 20;

    @TempDir
    Path dir;
    private Pool source;
    private Pool target;
    private Appliance restore;
    private Volume src;

    @BeforeEach
    void pools() {
        source = Pool.create(dir.resolve("source"), new PoolOptions(64 * 1024, 256 * MiB, null));
        target = Pool.create(dir.resolve("target"), new PoolOptions(128 * 1024, 256 * MiB, null));
        restore = new Appliance(target, null, null);
        src = source.createVolume("vm1", 8 * MiB);
    }

    @AfterEach
    void close() {
        source.close();
        target.close();
    }

    /** s1: scattered data; s2: overwrites, an unmapped range, a partial cluster; s3: grown, data past the old end. */
    private List<Snapshot> threeSnapshots() {
        Random rnd = new Random(42);
        write(src, 0, random(rnd, 3 * MiB));
        write(src, 5 * MiB + 4096, random(rnd, 200 * 1024));
        Snapshot s1 = src.createSnapshot("s1");
        write(src, MiB, random(rnd, 64 * 1024));
        src.unmap(2 * MiB, MiB);
        write(src, 7 * MiB + 512, random(rnd, 1024));
        Snapshot s2 = src.createSnapshot("s2");
        src.grow(12 * MiB);
        write(src, 10 * MiB, random(rnd, 2 * MiB - 4096));
        src.unmap(0, 128 * 1024);
        Snapshot s3 = src.createSnapshot("s3");
        write(src, 0, random(rnd, MiB)); // the head moves on; the snapshots must not
        return List.of(s1, s2, s3);
    }

    @Test
    void aFullStreamAndTwoIncrementalsRestoreEverySnapshotExactly() throws Exception {
        List<Snapshot> s = threeSnapshots();
        byte[] full = export(s.get(0), null);
        byte[] incr1 = export(s.get(1), s.get(0));
        byte[] incr2 = export(s.get(2), s.get(1));
        assertTrue(incr1.length < full.length / 4, "an incremental carries only the changes: " + incr1.length + " vs " + full.length);

        BackupImport.Result r = imports("copy", full, false);
        assertEquals("s1", r.snapshot().name());
        assertFalse(r.header().incremental());
        assertSameBytes(s.get(0), target.volume("copy").snapshot("s1"));
        imports("copy", incr1, false);
        assertSameBytes(s.get(1), target.volume("copy").snapshot("s2"));
        BackupImport.Result last = imports("copy", incr2, false);
        assertEquals(12 * MiB, last.volume().sizeBytes());
        Volume copy = target.volume("copy");
        assertEquals(List.of("s1", "s2", "s3"), copy.snapshots().stream().map(Snapshot::name).toList());
        // every snapshot and the head hold exactly the source snapshots' bytes
        assertSameBytes(s.get(0), copy.snapshot("s1"));
        assertSameBytes(s.get(1), copy.snapshot("s2"));
        assertSameBytes(s.get(2), copy.snapshot("s3"));
        assertArrayEquals(read(s.get(2)), read(copy));
        // the restored snapshots remember where they came from
        assertEquals(s.get(2).uuid(), new BackupImport(restore).received(copy.snapshot("s3").uuid()).sourceSnapshot());
        assertEquals(List.of(), target.verify());
    }

    @Test
    void theExportKnowsItsExactLengthBeforeWriting() throws Exception {
        List<Snapshot> s = threeSnapshots();
        for (Snapshot[] pair : new Snapshot[][] {{s.get(0), null}, {s.get(2), s.get(1)}, {s.get(1), s.get(0)}}) {
            BackupExport e = BackupExport.of(source, pair[0], pair[1]);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            e.writeTo(out);
            assertEquals(e.length(), out.size());
        }
    }

    @Test
    void aCorruptRecordIsRefusedAndNoVolumeIsLeftBehind() throws Exception {
        byte[] full = export(threeSnapshots().get(0), null);
        byte[] bad = full.clone();
        bad[full.length / 2] ^= 0x40; // inside some data record's payload
        BackupStreamException e = assertThrows(BackupStreamException.class, () -> imports("copy", bad, false));
        assertTrue(e.getMessage().contains("fails its checksum"), e.getMessage());
        assertNoVolumes();
    }

    @Test
    void aTruncatedStreamIsRefusedWhereverItIsCut() throws Exception {
        byte[] full = export(threeSnapshots().get(0), null);
        for (int cut : new int[] {20, 150, full.length / 3, full.length - 29, full.length - 1}) {
            BackupStreamException e = assertThrows(BackupStreamException.class,
                    () -> imports("copy", Arrays.copyOf(full, cut), false), "cut at " + cut);
            assertTrue(e.getMessage().contains("truncated"), cut + ": " + e.getMessage());
            assertNoVolumes();
        }
    }

    @Test
    void foreignOrDamagedStreamsAreRefusedWithAClearReason() throws Exception {
        byte[] full = export(threeSnapshots().get(0), null);
        assertEquals("the stream is empty: no Depot backup header", refuse(new byte[0]));
        assertTrue(refuse("#!/bin/sh\necho hello\n".getBytes(StandardCharsets.UTF_8)).contains("not a Depot backup stream"));
        byte[] version = full.clone();
        version[9] = 9;
        assertTrue(refuse(version).contains("version 9 is not supported"), refuse(version));
        byte[] header = full.clone();
        header[30] ^= 1; // the source pool's UUID
        assertTrue(refuse(header).contains("header is corrupt"), refuse(header));
        byte[] twice = Arrays.copyOf(full, full.length * 2);
        System.arraycopy(full, 0, twice, full.length, full.length);
        assertTrue(refuse(twice).contains("after the stream's trailer"), refuse(twice));
        byte[] totals = full.clone();
        totals[full.length - 5] ^= 1; // the trailer's zero-byte count: caught by the whole-stream checksum
        assertTrue(refuse(totals).contains("whole-stream checksum"), refuse(totals));
    }

    @Test
    void anExportWhoseSnapshotIsDeletedMidwayStopsShortOfTheTrailer() throws Exception {
        Snapshot s1 = threeSnapshots().get(0);
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                super.write(b, off, len);
                if (size() > 200_000 && s1.volume().snapshots().contains(s1)) {
                    s1.delete();
                }
            }
        };
        assertThrows(io.depot.engine.NoSuchSnapshotException.class, () -> BackupExport.of(source, s1, null).writeTo(out));
        BackupStreamException e = assertThrows(BackupStreamException.class, () -> imports("copy", out.toByteArray(), false));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertNoVolumes();
    }

    @Test
    void anIncrementalOnTheWrongBaseIsRefusedAndChangesNothing() throws Exception {
        List<Snapshot> s = threeSnapshots();
        imports("copy", export(s.get(0), null), false);
        byte[] before = read(target.volume("copy"));
        ImportRefusedException e = assertThrows(ImportRefusedException.class,
                () -> imports("copy", export(s.get(2), s.get(1)), false));
        assertEquals("wrong-base", e.code());
        assertTrue(e.getMessage().contains("vm1@s2") && e.getMessage().contains("latest snapshot"), e.getMessage());
        assertEquals(List.of("s1"), target.volume("copy").snapshots().stream().map(Snapshot::name).toList());
        assertArrayEquals(before, read(target.volume("copy")));
        // a volume that was not restored from the chain has no base at all
        target.createVolume("other", 8 * MiB).createSnapshot("s1");
        assertEquals("wrong-base", assertThrows(ImportRefusedException.class,
                () -> imports("other", export(s.get(1), s.get(0)), false)).code());
        // a full stream never lands on an existing volume
        assertEquals("name-in-use", assertThrows(ImportRefusedException.class,
                () -> imports("copy", export(s.get(0), null), false)).code());
    }

    @Test
    void aCorruptIncrementalRollsTheVolumeBackToItsBase() throws Exception {
        List<Snapshot> s = threeSnapshots();
        imports("copy", export(s.get(0), null), false);
        byte[] incr = export(s.get(2), s.get(0)); // grows the volume, so the rollback must shrink it back
        incr[incr.length - 100] ^= 1;             // in the last data record
        assertThrows(BackupStreamException.class, () -> imports("copy", incr, false));
        Volume copy = target.volume("copy");
        assertEquals(8 * MiB, copy.sizeBytes());
        assertEquals(List.of("s1"), copy.snapshots().stream().map(Snapshot::name).toList());
        assertArrayEquals(read(s.get(0)), read(copy));
        // and the intact stream applies afterwards
        imports("copy", export(s.get(2), s.get(0)), false);
        assertSameBytes(s.get(2), target.volume("copy").snapshot("s3"));
        assertEquals(List.of(), target.verify());
    }

    @Test
    void writesOnTheReplicaSinceItsBaseAreNotSilentlyMixedIn() throws Exception {
        List<Snapshot> s = threeSnapshots();
        imports("copy", export(s.get(0), null), false);
        write(target.volume("copy"), 6 * MiB, new byte[4096]);
        byte[] incr = export(s.get(1), s.get(0));
        ImportRefusedException e = assertThrows(ImportRefusedException.class, () -> imports("copy", incr, false));
        assertEquals("replica-changed", e.code());
        assertTrue(e.getMessage().contains("written since its snapshot s1"), e.getMessage());
        assertEquals(List.of("s1"), target.volume("copy").snapshots().stream().map(Snapshot::name).toList());
        imports("copy", incr, true); // forced: rolled back to s1, then applied
        assertArrayEquals(read(s.get(1)), read(target.volume("copy")));
    }

    @Test
    void recoveryUndoesAnImportACrashInterrupted() throws Exception {
        List<Snapshot> s = threeSnapshots();
        imports("copy", export(s.get(0), null), false);
        Volume copy = target.volume("copy");
        // what a crash in the middle leaves: a partial volume, an incremental half applied, their journal entries
        target.createVolume("new" + BackupImport.PARTIAL_SUFFIX, 8 * MiB);
        target.catalog().namespace("backup").put("importing/a", ("{\"kind\":\"full\",\"partialName\":\"new.partial\"}").getBytes());
        write(copy, 0, new byte[8192]);
        target.catalog().namespace("backup").put("importing/b", ("{\"kind\":\"incremental\",\"volume\":\"" + copy.uuid() + "\",\"base\":\""
                + copy.snapshot("s1").uuid() + "\"}").getBytes());
        Volume other = target.createVolume("other", MiB);
        other.createSnapshot("kept");
        other.createSnapshot("import-check-0badf00d"); // a crash between the head check and its cleanup
        BackupImport.recover(target);
        assertEquals(List.of("kept"), target.volume("other").snapshots().stream().map(Snapshot::name).toList());
        other.delete();
        assertEquals(List.of("copy"), target.volumes().stream().map(Volume::name).toList());
        assertArrayEquals(read(s.get(0)), read(target.volume("copy")));
        assertEquals(0, target.catalog().namespace("backup").list("importing/").size());
    }

    // ------------------------------------------------------------------ helpers

    private byte[] export(Snapshot s, Snapshot base) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BackupExport.of(source, s, base).writeTo(out);
        return out.toByteArray();
    }

    private BackupImport.Result imports(String volume, byte[] stream, boolean force) throws Exception {
        return new BackupImport(restore).run(volume, new ByteArrayInputStream(stream), force);
    }

    private String refuse(byte[] stream) {
        String m = assertThrows(BackupStreamException.class, () -> imports("copy", stream, false)).getMessage();
        assertNoVolumes();
        return m;
    }

    private void assertNoVolumes() {
        assertEquals(List.of(), target.volumes().stream().map(Volume::name).toList());
        assertEquals(0, target.catalog().namespace("backup").list("importing/").size());
    }

    private static void assertSameBytes(Snapshot expected, Snapshot actual) {
        assertEquals(expected.sizeBytes(), actual.sizeBytes());
        assertArrayEquals(read(expected), read(actual), expected + " vs " + actual);
    }

    private static void assertFalse(boolean b) {
        org.junit.jupiter.api.Assertions.assertFalse(b);
    }

    private static byte[] read(Snapshot s) {
        ByteBuffer b = ByteBuffer.allocate((int) s.sizeBytes());
        s.read(0, b);
        return b.array();
    }

    private static byte[] read(Volume v) {
        ByteBuffer b = ByteBuffer.allocate((int) v.sizeBytes());
        v.read(0, b);
        return b.array();
    }

    private static void write(Volume v, long offset, byte[] data) {
        v.write(offset, ByteBuffer.wrap(data));
    }

    private static byte[] random(Random rnd, long n) {
        byte[] b = new byte[(int) n];
        rnd.nextBytes(b);
        return b;
    }
}
