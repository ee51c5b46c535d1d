package io.depot.nfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.emc.ecs.nfsclient.nfs.NfsCreateMode;
import com.emc.ecs.nfsclient.nfs.NfsDirectoryPlusEntry;
import com.emc.ecs.nfsclient.nfs.NfsException;
import com.emc.ecs.nfsclient.nfs.NfsFsInfo;
import com.emc.ecs.nfsclient.nfs.NfsGetAttributes;
import com.emc.ecs.nfsclient.nfs.NfsReadResponse;
import com.emc.ecs.nfsclient.nfs.NfsReaddirplusResponse;
import com.emc.ecs.nfsclient.nfs.NfsSetAttributes;
import com.emc.ecs.nfsclient.nfs.NfsStatus;
import com.emc.ecs.nfsclient.nfs.NfsType;
import com.emc.ecs.nfsclient.nfs.NfsWriteRequest;
import com.emc.ecs.nfsclient.nfs.NfsWriteResponse;
import com.emc.ecs.nfsclient.nfs.io.Nfs3File;
import com.emc.ecs.nfsclient.nfs.io.NfsFileInputStream;
import com.emc.ecs.nfsclient.nfs.io.NfsFileOutputStream;
import com.emc.ecs.nfsclient.nfs.nfs3.Nfs3;
import com.emc.ecs.nfsclient.rpc.CredentialUnix;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * EMC's Java NFSv3 client (com.emc.ecs:nfs-client) against the gateway, run by
 * {@code EmcNfsClientTest} in a private network namespace: the client asks the portmapper on port
 * 111 for MOUNT and NFS (it cannot be given ports), so the gateway's embedded portmapper must own
 * 111 there. Prints "ok NAME" per passed step and "EMC SCENARIO PASSED" at the end; on a failure
 * prints the stack trace and exits 1.
 */
public final class EmcClientScenarioMain {
    private final Nfs3 nfs;
    private final Random random = new Random(1813);

    private EmcClientScenarioMain(Nfs3 nfs) {
        this.nfs = nfs;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int status = 1;
        try (Pool pool = Pool.create(dir, PoolOptions.ofCapacity(4L << 30));
             NfsGateway gw = NfsGateway.start(pool, NfsGatewaySettings.defaults().withPort(0))) {
            System.out.println("READY mode=" + gw.portmapperMode() + " port=" + gw.address().getPort());
            try {
                Nfs3 nfs = new Nfs3("127.0.0.1", "/depot", new CredentialUnix(0, 0, null), 3);
                new EmcClientScenarioMain(nfs).run();
                System.out.println("EMC SCENARIO PASSED");
                status = 0;
            } catch (Throwable t) {
                System.out.println("FAILED: " + t);
                t.printStackTrace(System.out);
            }
        }
        System.out.flush();
        System.exit(status); // the client's Netty 3 threads would keep the JVM alive
    }

    private static void ok(String step) {
        System.out.println("ok " + step);
        System.out.flush();
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** The client adds to the payload list it is given: it must be mutable. */
    private static List<ByteBuffer> payload(ByteBuffer b) {
        List<ByteBuffer> l = new ArrayList<>(1);
        l.add(b);
        return l;
    }

    private static NfsSetAttributes mode(long mode) {
        NfsSetAttributes a = new NfsSetAttributes();
        a.setMode(mode);
        return a;
    }

    private static NfsSetAttributes size(long size) {
        NfsSetAttributes a = new NfsSetAttributes();
        a.setSize(size);
        return a;
    }

    private static NfsStatus statusOf(IOException e) {
        return e instanceof NfsException n ? n.getStatus() : null;
    }

    void run() throws IOException {
        assertNotNull(nfs.getRootFileHandle());
        assertTrue(nfs.getPort() > 0);
        ok("mount");

        NfsFsInfo info = nfs.getNfsFsInfo();
        assertEquals(1 << 20, info.rtmax);
        assertEquals(1 << 20, info.wtmax);
        ok("fsinfo");

        Nfs3File root = nfs.newFile("/");
        assertTrue(root.isDirectory());
        ok("root getattr");

        writeReadCompare();
        unstableWriteAndCommit();
        truncateAndExtend();
        directoriesAndListing();
        renameAndRemove();
        symlinks();
        specialFiles();
    }

    /** Writes of several sizes at unaligned offsets, single WRITEs up to wtmax and a stream of > 1 MiB; reads back byte-identical. */
    private void writeReadCompare() throws IOException {
        Nfs3File f = nfs.newFile("/data.bin");
        f.create(NfsCreateMode.GUARDED, mode(0644), null);
        NfsGetAttributes created = f.getAttributes();
        assertEquals(NfsType.NFS_REG, created.getType());
        assertEquals(0644, created.getMode() & 07777);
        assertEquals(0, created.getSize());
        IOException exists = assertThrows(IOException.class, () -> nfs.newFile("/data.bin").create(NfsCreateMode.GUARDED, mode(0644), null));
        assertEquals(NfsStatus.NFS3ERR_EXIST, statusOf(exists));
        ok("create guarded");

        int total = 7 * (1 << 20) + 4321;
        byte[] model = new byte[total];
        long[][] writes = {
                {0, 1}, {1, 4095}, {4097, 511}, {12_345, 65_537}, {200_001, 131_072},
                {(1 << 20) + 3, 1 << 20}, // one WRITE of exactly wtmax, unaligned
                {6 * (1 << 20) + 777, (1 << 20) - 1000},
                {7 * (1 << 20) - 223, 223 + 4320}, // up to the last byte but one
        };
        for (long[] w : writes) {
            byte[] data = randomBytes((int) w[1]);
            NfsWriteResponse r = f.write(w[0], payload(ByteBuffer.wrap(data)), NfsWriteRequest.FILE_SYNC);
            assertEquals(data.length, r.getCount(), "count of the write at " + w[0]);
            assertEquals(NfsWriteRequest.FILE_SYNC, r.getCommitted());
            System.arraycopy(data, 0, model, (int) w[0], data.length);
        }
        ok("writes of 1 B to 1 MiB at unaligned offsets");

        // a stream of 2.5 MiB + 3 through the client's buffered output stream (several WRITEs, then COMMIT)
        long streamAt = 3L * (1 << 20) + 5;
        byte[] streamed = randomBytes(5 * (1 << 19) + 3);
        try (NfsFileOutputStream out = new NfsFileOutputStream(f, streamAt, NfsWriteRequest.UNSTABLE)) {
            for (int off = 0; off < streamed.length; off += 70_001) {
                out.write(streamed, off, Math.min(70_001, streamed.length - off));
            }
        }
        System.arraycopy(streamed, 0, model, (int) streamAt, streamed.length);
        assertEquals(total - 1, f.getAttributes().getSize(), "size after the writes (the last byte not written yet)");
        f.write(total - 1, payload(ByteBuffer.wrap(new byte[] {model[total - 1]})), NfsWriteRequest.DATA_SYNC);
        assertEquals(total, f.getAttributes().getSize());
        ok("output stream of 2.5 MiB");

        // the whole file through the client's input stream
        byte[] back = new byte[total];
        try (NfsFileInputStream in = new NfsFileInputStream(f)) {
            int n = 0;
            while (n < total) {
                int r = in.read(back, n, Math.min(300_007, total - n));
                assertTrue(r > 0, "input stream ended at " + n + " of " + total);
                n += r;
            }
            assertEquals(-1, in.read(), "EOF after the last byte");
        }
        assertArrayEquals(model, back, "whole file read back");
        ok("read back identical through the input stream");

        // single READs at odd offsets and sizes, including up to rtmax and across EOF
        long[][] reads = {{0, 1}, {4095, 3}, {12_344, 65_539}, {(1 << 20) + 1, 1 << 20}, {total - 10, 10}, {total - 10, 4096}};
        for (long[] rd : reads) {
            byte[] buf = new byte[(int) rd[1]];
            NfsReadResponse r = f.read(rd[0], buf.length, buf, 0);
            int expect = (int) Math.min(rd[1], total - rd[0]);
            assertEquals(expect, r.getBytesRead(), "read at " + rd[0]);
            assertEquals(rd[0] + expect == total, r.isEof(), "EOF flag of the read at " + rd[0]);
            assertArrayEquals(Arrays.copyOfRange(model, (int) rd[0], (int) rd[0] + expect), Arrays.copyOf(buf, expect));
        }
        byte[] past = new byte[100];
        NfsReadResponse beyond = f.read(total + 1000, 100, past, 0);
        assertEquals(0, beyond.getBytesRead());
        assertTrue(beyond.isEof());
        ok("reads at unaligned offsets with EOF");
    }

    /** UNSTABLE WRITEs and a COMMIT answer with the same write verifier. */
    private void unstableWriteAndCommit() throws IOException {
        Nfs3File f = nfs.newFile("/unstable.bin");
        f.create(NfsCreateMode.UNCHECKED, mode(0600), null);
        byte[] a = randomBytes(100_000);
        NfsWriteResponse w1 = f.write(7, payload(ByteBuffer.wrap(a)), NfsWriteRequest.UNSTABLE);
        NfsWriteResponse w2 = f.write(7 + a.length, payload(ByteBuffer.wrap(a, 0, 333)), NfsWriteRequest.UNSTABLE);
        assertEquals(w1.getVerf(), w2.getVerf());
        long committed = f.commit(0, 0).getVerf();
        assertEquals(w1.getVerf(), committed, "COMMIT's verifier is the WRITEs' (no restart in between)");
        byte[] buf = new byte[a.length];
        f.read(7, a.length, buf, 0);
        assertArrayEquals(a, buf);
        assertEquals(7 + a.length + 333, f.getAttributes().getSize());
        ok("unstable writes and commit");
    }

    /** SETATTR size: truncation keeps the prefix and reads EOF there; extension reads zeros. */
    private void truncateAndExtend() throws IOException {
        Nfs3File f = nfs.newFile("/trunc.bin");
        f.create(NfsCreateMode.UNCHECKED, mode(0644), null);
        byte[] data = randomBytes(3 * (1 << 20));
        for (int off = 0; off < data.length; off += 1 << 20) {
            f.write(off, payload(ByteBuffer.wrap(data, off, 1 << 20)), NfsWriteRequest.FILE_SYNC);
        }
        f.setattr(size(100_003), null);
        assertEquals(100_003, f.getAttributes().getSize());
        byte[] buf = new byte[200_000];
        NfsReadResponse r = f.read(0, buf.length, buf, 0);
        assertEquals(100_003, r.getBytesRead());
        assertTrue(r.isEof());
        assertArrayEquals(Arrays.copyOf(data, 100_003), Arrays.copyOf(buf, 100_003));
        ok("setattr truncate");

        f.setattr(size(2 * (1 << 20) + 9), null);
        assertEquals(2 * (1 << 20) + 9, f.getAttributes().getSize());
        byte[] tail = new byte[(1 << 20)];
        NfsReadResponse t = f.read(100_003, tail.length, tail, 0);
        assertEquals(tail.length, t.getBytesRead());
        assertArrayEquals(new byte[tail.length], tail, "the extension reads as zeros, not the old bytes");
        ok("setattr extend");
    }

    /** MKDIR, nested files, READDIR and READDIRPLUS (names, attributes, handles), RMDIR of a non-empty and an empty directory. */
    private void directoriesAndListing() throws IOException {
        Nfs3File dir = nfs.newFile("/vms");
        dir.mkdir(mode(0755));
        assertTrue(dir.isDirectory());
        IOException again = assertThrows(IOException.class, () -> nfs.newFile("/vms").mkdir(mode(0755)));
        assertEquals(NfsStatus.NFS3ERR_EXIST, statusOf(again));
        Set<String> made = new HashSet<>();
        for (int i = 0; i < 150; i++) {
            String name = "disk-" + i + ".img";
            nfs.newFile("/vms/" + name).create(NfsCreateMode.GUARDED, mode(0640), null);
            made.add(name);
        }
        Nfs3File sub = nfs.newFile("/vms/sub");
        sub.mkdir(mode(0700));
        made.add("sub");
        assertEquals(made, new HashSet<>(dir.list()), "READDIR lists every name once");
        assertEquals(made.size(), dir.list().size());
        ok("mkdir and readdir of 151 entries");

        Set<String> plus = new HashSet<>();
        long cookie = 0;
        long verifier = 0;
        List<NfsDirectoryPlusEntry> entries = new ArrayList<>();
        while (true) {
            entries.clear();
            NfsReaddirplusResponse r = dir.readdirplus(cookie, verifier, 1024, 8192, entries);
            for (NfsDirectoryPlusEntry e : r.getEntries()) {
                if (!e.getFileName().equals(".") && !e.getFileName().equals("..")) {
                    assertTrue(plus.add(e.getFileName()), "twice: " + e.getFileName());
                    assertNotNull(e.getFileHandle(), e.getFileName());
                    NfsType expected = e.getFileName().equals("sub") ? NfsType.NFS_DIR : NfsType.NFS_REG;
                    assertEquals(expected, e.getAttributes().getType(), e.getFileName());
                }
            }
            cookie = r.getCookie();
            verifier = r.getCookieverf();
            if (r.isEof()) {
                break;
            }
        }
        assertEquals(made, plus);
        ok("readdirplus with attributes and handles");

        IOException notEmpty = assertThrows(IOException.class, sub.getParentFile()::rmdir);
        assertEquals(NfsStatus.NFS3ERR_NOTEMPTY, statusOf(notEmpty));
        sub.rmdir();
        assertFalse(sub.exists());
        for (String name : made) {
            if (!name.equals("sub")) {
                nfs.newFile("/vms/" + name).remove();
            }
        }
        assertTrue(dir.list().isEmpty());
        dir.rmdir();
        assertFalse(dir.exists());
        ok("rmdir");
    }

    /** RENAME keeps the file (same fileid, same bytes) and replaces an existing target; REMOVE makes it gone. */
    private void renameAndRemove() throws IOException {
        Nfs3File a = nfs.newFile("/a.img");
        a.create(NfsCreateMode.GUARDED, mode(0644), null);
        byte[] data = randomBytes(1 << 20);
        a.write(511, payload(ByteBuffer.wrap(data)), NfsWriteRequest.FILE_SYNC);
        long fileid = a.getAttributes().getFileid();
        Nfs3File victim = nfs.newFile("/b.img");
        victim.create(NfsCreateMode.GUARDED, mode(0644), null);

        Nfs3File b = nfs.newFile("/b.img");
        assertTrue(a.renameTo(b));
        assertFalse(nfs.newFile("/a.img").exists());
        Nfs3File moved = nfs.newFile("/b.img");
        assertEquals(fileid, moved.getAttributes().getFileid(), "rename replaced the target with the same file");
        assertEquals(511 + data.length, moved.getAttributes().getSize());
        byte[] buf = new byte[data.length];
        moved.read(511, data.length, buf, 0);
        assertArrayEquals(data, buf);
        ok("rename replacing");

        moved.remove();
        assertFalse(nfs.newFile("/b.img").exists());
        assertThrows(FileNotFoundException.class, () -> nfs.newFile("/b.img").getAttributes());
        ok("remove");
    }

    private void symlinks() throws IOException {
        Nfs3File link = nfs.newFile("/current.img");
        String target = "vms/disk-7.img";
        link.symlink(target, new NfsSetAttributes());
        assertEquals(NfsType.NFS_LNK, link.getAttributes().getType());
        assertEquals(target, link.readlink().getData());
        assertEquals(target.length(), link.getAttributes().getSize());
        link.remove();
        assertFalse(link.exists());
        ok("symlink and readlink");
    }

    /** MKNOD: FIFOs and sockets are made; devices are NFS3ERR_BADTYPE (RFC 1813 §3.3.11). */
    private void specialFiles() throws IOException {
        Nfs3File fifo = nfs.newFile("/pipe");
        fifo.mknod(NfsType.NFS_FIFO, mode(0600), null);
        assertEquals(NfsType.NFS_FIFO, fifo.getAttributes().getType());
        Nfs3File sock = nfs.newFile("/sock");
        sock.mknod(NfsType.NFS_SOCK, mode(0600), null);
        assertEquals(NfsType.NFS_SOCK, sock.getAttributes().getType());
        IOException dev = assertThrows(IOException.class, () -> nfs.newFile("/sda").mknod(NfsType.NFS_BLK, mode(0600), new long[] {8, 0}));
        assertEquals(NfsStatus.NFS3ERR_BADTYPE, statusOf(dev));
        IOException chr = assertThrows(IOException.class, () -> nfs.newFile("/tty").mknod(NfsType.NFS_CHR, mode(0600), new long[] {4, 1}));
        assertEquals(NfsStatus.NFS3ERR_BADTYPE, statusOf(chr));
        assertFalse(nfs.newFile("/sda").exists());
        ok("mknod fifo/socket, devices BADTYPE");
    }
}
