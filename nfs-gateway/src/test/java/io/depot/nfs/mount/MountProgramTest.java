package io.depot.nfs.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.nfs.rpc.Credential;
import io.depot.nfs.rpc.Rpc;
import io.depot.nfs.rpc.RpcClient;
import io.depot.nfs.rpc.RpcReply;
import io.depot.nfs.rpc.RpcServer;
import io.depot.nfs.xdr.XdrReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** MOUNT v3 (and the v1 procedures showmount uses) over a real socket. */
class MountProgramTest {
    private RpcServer server;
    private MountProgram mount;
    private RpcClient client;

    @BeforeEach
    void start() throws IOException {
        server = RpcServer.builder().ioThreads(2).build();
        mount = new MountProgram(new TestExports(), new MountList(100));
        server.register(mount.program());
        InetSocketAddress a = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = RpcClient.connect(a, Duration.ofSeconds(10));
        client.credential(new Credential.Sys(1, "esx1", 0, 0, new int[0]));
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private RpcReply mnt(String path) throws IOException {
        return client.call(Mount.PROGRAM, 3, Mount.PROC_MNT, w -> w.writeString(path));
    }

    private List<String[]> dump() throws IOException {
        XdrReader r = client.call(Mount.PROGRAM, 3, Mount.PROC_DUMP, null).results();
        List<String[]> out = new ArrayList<>();
        while (r.readOptional()) {
            out.add(new String[] {r.readString(255), r.readString(1024)});
        }
        r.expectEnd();
        return out;
    }

    @Test
    void mntReturnsTheRootHandleAndFlavorsAndIsListedUntilUnmounted() throws IOException {
        RpcReply r = mnt("/open");
        assertTrue(r.success());
        XdrReader res = r.results();
        assertEquals(MountStatus.OK.code(), res.readInt());
        assertArrayEquals("root:/open".getBytes(StandardCharsets.UTF_8), res.readOpaque(64));
        assertEquals(1, res.readArrayLength(16, 4));
        assertEquals(Rpc.AUTH_SYS, res.readInt());
        res.expectEnd();

        List<String[]> d = dump();
        assertEquals(1, d.size());
        assertEquals("127.0.0.1", d.get(0)[0]);
        assertEquals("/open", d.get(0)[1]);

        assertTrue(client.call(Mount.PROGRAM, 3, Mount.PROC_UMNT, w -> w.writeString("/open")).success());
        assertEquals(0, dump().size());

        mnt("/open");
        assertTrue(client.call(Mount.PROGRAM, 3, Mount.PROC_UMNTALL, null).success());
        assertEquals(0, dump().size());
    }

    @Test
    void mntErrors() throws IOException {
        assertEquals(MountStatus.NOENT.code(), mnt("/nowhere").results().readInt());
        assertEquals(MountStatus.ACCES.code(), mnt("/private").results().readInt(), "127.0.0.1 is not 10.9.9.9");
        assertEquals(MountStatus.NAMETOOLONG.code(), mnt("/" + "x".repeat(1100)).results().readInt());
        assertEquals(MountStatus.NOENT.code(), mnt("/open/../private").results().readInt(), "paths match exactly, no traversal");
        assertEquals(0, dump().size(), "refused mounts are not listed");
        assertEquals(Rpc.GARBAGE_ARGS, client.call(Mount.PROGRAM, 3, Mount.PROC_MNT, w -> w.writeInt(3)).acceptStat());
    }

    @Test
    void exportListsEveryExportWithItsClients() throws IOException {
        for (int v : new int[] {1, 3}) {
            XdrReader r = client.call(Mount.PROGRAM, v, Mount.PROC_EXPORT, null).results();
            assertTrue(r.readOptional());
            assertEquals("/open", r.readString(1024));
            assertFalse(r.readOptional(), "no client list: everyone");
            assertTrue(r.readOptional());
            assertEquals("/private", r.readString(1024));
            assertTrue(r.readOptional());
            assertEquals("10.9.9.9", r.readString(255));
            assertFalse(r.readOptional());
            assertFalse(r.readOptional());
            r.expectEnd();
        }
    }

    @Test
    void versionOneMntIsNotOffered() throws IOException {
        assertEquals(Rpc.PROC_UNAVAIL, client.call(Mount.PROGRAM, 1, Mount.PROC_MNT, w -> w.writeString("/open")).acceptStat());
        RpcReply r = client.call(Mount.PROGRAM, 4, Mount.PROC_NULL, null);
        assertEquals(Rpc.PROG_MISMATCH, r.acceptStat());
        assertEquals(1, r.low());
        assertEquals(3, r.high());
    }
}
