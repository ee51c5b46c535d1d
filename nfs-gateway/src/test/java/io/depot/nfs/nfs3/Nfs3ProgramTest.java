package io.depot.nfs.nfs3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.mount.Mount;
import io.depot.nfs.portmap.PortAdvertiser;
import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.Rpc;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.xdr.XdrReader;
import io.depot.nfs.xdr.XdrWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NFSv3 over a real socket against the gateway on a real pool: statuses, wcc, paging, verifiers. */
class Nfs3ProgramTest {
    @TempDir
    Path tmp;
    private Pool pool;
    private NfsGateway gw;
    private RpcClient client;
    private byte[] root;
    private byte[] readOnlyRoot;

    @BeforeEach
    void start() throws IOException {
        pool = Pool.create(tmp.resolve("pool"), PoolOptions.ofCapacity(1L << 30));
        InetAddress lo = InetAddress.getLoopbackAddress();
        NfsGatewaySettings s = new NfsGatewaySettings(lo, 0,
                new PortAdvertiser.Config(lo, 0, tmp.resolve("no-rpcbind.sock")),
                List.of(NfsExport.of("/depot"), NfsExport.readOnly("/ro")));
        gw = NfsGateway.start(pool, s);
        client = RpcClient.connect(gw.address(), Duration.ofSeconds(10));
        client.credential(new Credential.Sys(1, "test", 0, 0, new int[0]));
        root = mnt("/depot");
        readOnlyRoot = mnt("/ro");
    }

    @AfterEach
    void stop() {
        client.close();
        gw.close();
        pool.close();
    }

    private byte[] mnt(String path) throws IOException {
        XdrReader r = client.call(Mount.PROGRAM, 3, Mount.PROC_MNT, w -> w.writeString(path)).results();
        assertEquals(0, r.readInt());
        return r.readOpaque(64);
    }

    private XdrReader call(int proc, Consumer<XdrWriter> args) throws IOException {
        RpcReply reply = client.call(Nfs3.PROGRAM, 3, proc, args);
        assertTrue(reply.success(), reply.toString());
        return reply.results();
    }

    /** Skips a post_op_attr; returns the attributes' size, or -1 when absent. */
    private static long postOpAttr(XdrReader r) {
        if (!r.readBoolean()) {
            return -1;
        }
        r.skip(20);
        long size = r.readHyper();
        r.skip(84 - 28);
        return size;
    }

    private static void wcc(XdrReader r) {
        if (r.readBoolean()) {
            r.skip(24);
        }
        postOpAttr(r);
    }

    private static void sattrNone(XdrWriter w) {
        w.writeBoolean(false).writeBoolean(false).writeBoolean(false).writeBoolean(false).writeInt(0).writeInt(0);
    }

    private byte[] create(byte[] dir, String name) throws IOException {
        XdrReader r = call(Nfs3.PROC_CREATE, w -> {
            w.writeOpaque(dir).writeString(name).writeInt(Nfs3.GUARDED);
            sattrNone(w);
        });
        assertEquals(Nfs3.OK, r.readInt());
        assertTrue(r.readBoolean());
        return r.readOpaque(64);
    }

    @Test
    void createWriteReadCommitWithVerifiersAndEof() throws IOException {
        byte[] fh = create(root, "f");
        byte[] data = new byte[5000];
        new Random(1).nextBytes(data);
        XdrReader w = call(Nfs3.PROC_WRITE, a -> a.writeOpaque(fh).writeHyper(3).writeInt(data.length).writeInt(Nfs3.UNSTABLE).writeOpaque(data));
        assertEquals(Nfs3.OK, w.readInt());
        assertTrue(w.readBoolean(), "pre-op attributes");
        assertEquals(0, w.readHyper());
        w.skip(16);
        assertEquals(5003, postOpAttr(w));
        assertEquals(5000, w.readInt());
        assertEquals(Nfs3.UNSTABLE, w.readInt());
        long verifier = w.readHyper();
        assertEquals(gw.writeVerifier(), verifier);

        XdrReader r = call(Nfs3.PROC_READ, a -> a.writeOpaque(fh).writeHyper(3).writeInt(100000));
        assertEquals(Nfs3.OK, r.readInt());
        postOpAttr(r);
        assertEquals(5000, r.readInt());
        assertTrue(r.readBoolean(), "eof");
        assertArrayEquals(data, r.readOpaque(5000));
        XdrReader part = call(Nfs3.PROC_READ, a -> a.writeOpaque(fh).writeHyper(0).writeInt(10));
        assertEquals(Nfs3.OK, part.readInt());
        postOpAttr(part);
        assertEquals(10, part.readInt());
        assertFalse(part.readBoolean(), "not at the end");

        XdrReader c = call(Nfs3.PROC_COMMIT, a -> a.writeOpaque(fh).writeHyper(0).writeInt(0));
        assertEquals(Nfs3.OK, c.readInt());
        wcc(c);
        assertEquals(verifier, c.readHyper());

        XdrReader info = call(Nfs3.PROC_FSINFO, a -> a.writeOpaque(root));
        assertEquals(Nfs3.OK, info.readInt());
        postOpAttr(info);
        assertEquals(1 << 20, info.readInt());
    }

    @Test
    void aWriteLargerThanWtmaxIsWrittenShortAndLargeReadsComeBackWhole() throws IOException {
        byte[] fh = create(root, "big");
        int max = 1 << 20;
        byte[] data = new byte[max + 4096]; // fits the record limit, exceeds wtmax
        new Random(9).nextBytes(data);
        XdrReader w = call(Nfs3.PROC_WRITE, a -> a.writeOpaque(fh).writeHyper(100).writeInt(data.length).writeInt(Nfs3.FILE_SYNC).writeOpaque(data));
        assertEquals(Nfs3.OK, w.readInt());
        wcc(w);
        assertEquals(max, w.readInt(), "RFC 1813 §3.3.7: a short write, the client resends the rest");
        // the client resends the remainder
        byte[] rest = java.util.Arrays.copyOfRange(data, max, data.length);
        XdrReader w2 = call(Nfs3.PROC_WRITE, a -> a.writeOpaque(fh).writeHyper(100 + max).writeInt(rest.length).writeInt(Nfs3.FILE_SYNC).writeOpaque(rest));
        assertEquals(Nfs3.OK, w2.readInt());
        wcc(w2);
        assertEquals(rest.length, w2.readInt());

        // reads of rtmax at an unaligned offset, through the pooled direct buffer path
        byte[] back = new byte[data.length];
        int got = 0;
        while (got < data.length) {
            int off = got;
            XdrReader r = call(Nfs3.PROC_READ, a -> a.writeOpaque(fh).writeHyper(100 + off).writeInt(max));
            assertEquals(Nfs3.OK, r.readInt());
            assertEquals(100 + data.length, postOpAttr(r));
            int n = r.readInt();
            boolean eof = r.readBoolean();
            System.arraycopy(r.readOpaque(max), 0, back, got, n);
            got += n;
            assertEquals(got == data.length, eof);
        }
        assertArrayEquals(data, back);
        XdrReader head = call(Nfs3.PROC_READ, a -> a.writeOpaque(fh).writeHyper(0).writeInt(100));
        assertEquals(Nfs3.OK, head.readInt());
        postOpAttr(head);
        assertEquals(100, head.readInt());
        assertFalse(head.readBoolean());
        assertArrayEquals(new byte[100], head.readOpaque(100), "the hole before the first write reads as zeros");
    }

    @Test
    void badStaleMissingAndReadOnlyAnswerWithTheirStatuses() throws IOException {
        byte[] garbage = new byte[17];
        XdrReader g = call(Nfs3.PROC_GETATTR, a -> a.writeOpaque(garbage));
        assertEquals(Nfs3.ERR_BADHANDLE, g.readInt());

        byte[] fh = create(root, "gone");
        XdrReader rm = call(Nfs3.PROC_REMOVE, a -> a.writeOpaque(root).writeString("gone"));
        assertEquals(Nfs3.OK, rm.readInt());
        XdrReader stale = call(Nfs3.PROC_GETATTR, a -> a.writeOpaque(fh));
        assertEquals(Nfs3.ERR_STALE, stale.readInt());

        XdrReader miss = call(Nfs3.PROC_LOOKUP, a -> a.writeOpaque(root).writeString("nope"));
        assertEquals(Nfs3.ERR_NOENT, miss.readInt());
        assertTrue(postOpAttr(miss) >= 0, "directory attributes on failure");

        XdrReader ro = call(Nfs3.PROC_CREATE, a -> {
            a.writeOpaque(readOnlyRoot).writeString("x").writeInt(Nfs3.UNCHECKED);
            sattrNone(a);
        });
        assertEquals(Nfs3.ERR_ROFS, ro.readInt());

        XdrReader reg = call(Nfs3.PROC_MKNOD, a -> a.writeOpaque(root).writeString("r").writeInt(1));
        assertEquals(Nfs3.ERR_BADTYPE, reg.readInt());

        XdrReader exist = call(Nfs3.PROC_MKDIR, a -> {
            a.writeOpaque(root).writeString(".");
            sattrNone(a);
        });
        assertEquals(Nfs3.ERR_EXIST, exist.readInt());

        // truncated arguments are GARBAGE_ARGS, not an exception or a hang
        RpcReply bad = client.call(Nfs3.PROGRAM, 3, Nfs3.PROC_READ, a -> a.writeOpaque(root).writeInt(1));
        assertFalse(bad.success());
        assertEquals(Rpc.GARBAGE_ARGS, bad.acceptStat());

        // AUTH_SYS uid 1000 may not create in the root-owned 0755 export directory
        client.credential(new Credential.Sys(2, "test", 1000, 1000, new int[0]));
        XdrReader denied = call(Nfs3.PROC_CREATE, a -> {
            a.writeOpaque(root).writeString("mine").writeInt(Nfs3.UNCHECKED);
            sattrNone(a);
        });
        assertEquals(Nfs3.ERR_ACCES, denied.readInt());
    }

    @Test
    void readdirAndReaddirplusPageByCookie() throws IOException {
        Set<String> made = new HashSet<>();
        for (int i = 0; i < 120; i++) {
            XdrReader r = call(Nfs3.PROC_MKNOD, a -> {
                a.writeOpaque(root).writeString("fifo-with-a-longish-name-" + made.size()).writeInt(7);
                sattrNone(a);
            });
            assertEquals(Nfs3.OK, r.readInt());
            made.add("fifo-with-a-longish-name-" + (made.size()));
        }
        XdrReader small = call(Nfs3.PROC_READDIR, a -> a.writeOpaque(root).writeHyper(0).writeHyper(0).writeInt(100));
        assertEquals(Nfs3.ERR_TOOSMALL, small.readInt());

        for (boolean plus : new boolean[] {false, true}) {
            List<String> names = new ArrayList<>();
            long cookie = 0;
            long verf = 0;
            int calls = 0;
            boolean eof = false;
            while (!eof) {
                long c = cookie;
                long v = verf;
                XdrReader r = plus
                        ? call(Nfs3.PROC_READDIRPLUS, a -> a.writeOpaque(root).writeHyper(c).writeHyper(v).writeInt(1024).writeInt(4096))
                        : call(Nfs3.PROC_READDIR, a -> a.writeOpaque(root).writeHyper(c).writeHyper(v).writeInt(1024));
                assertEquals(Nfs3.OK, r.readInt());
                postOpAttr(r);
                verf = r.readHyper();
                while (r.readBoolean()) {
                    r.readHyper();
                    names.add(r.readString(255));
                    cookie = r.readHyper();
                    if (plus) {
                        assertTrue(postOpAttr(r) >= 0);
                        assertTrue(r.readBoolean());
                        r.readOpaque(64);
                    }
                }
                eof = r.readBoolean();
                r.expectEnd();
                calls++;
            }
            assertTrue(calls > 3, "paged in " + calls + " calls");
            assertEquals(122, names.size());
            assertTrue(names.containsAll(made));
            assertEquals(".", names.get(0));
            long badVerf = verf + 1;
            long lastCookie = cookie;
            XdrReader bad = call(Nfs3.PROC_READDIR, a -> a.writeOpaque(root).writeHyper(lastCookie).writeHyper(badVerf).writeInt(1024));
            assertEquals(Nfs3.ERR_BAD_COOKIE, bad.readInt());
        }
    }
}
