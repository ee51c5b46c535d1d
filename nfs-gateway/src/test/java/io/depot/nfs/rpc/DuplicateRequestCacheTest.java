package io.depot.nfs.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The DRC alone: first sight, in progress, replay, abandon, bounds, and what makes a key. */
class DuplicateRequestCacheTest {
    private static RpcCall call(String ip, int port, int xid) throws Exception {
        return new RpcCall(xid, 100003, 3, 12, Credential.None.INSTANCE,
                new InetSocketAddress(InetAddress.getByName(ip), port));
    }

    private static DuplicateRequestCache.Key key(String ip, int port, int xid, String args) throws Exception {
        return DuplicateRequestCache.key(call(ip, port, xid), Unpooled.wrappedBuffer(args.getBytes()));
    }

    @Test
    void aRetransmissionGetsTheFirstReplyEvenFromAnotherPort() throws Exception {
        DuplicateRequestCache drc = new DuplicateRequestCache(10, 1024);
        DuplicateRequestCache.Key k = key("10.0.0.1", 800, 7, "remove a");
        assertInstanceOf(DuplicateRequestCache.Lookup.Execute.class, drc.begin(k));
        assertInstanceOf(DuplicateRequestCache.Lookup.InProgress.class, drc.begin(k), "still executing: drop");
        drc.complete(k, Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4}));
        DuplicateRequestCache.Lookup again = drc.begin(key("10.0.0.1", 901, 7, "remove a"));
        assertArrayEquals(new byte[] {1, 2, 3, 4}, assertInstanceOf(DuplicateRequestCache.Lookup.Replay.class, again).reply());
        assertEquals(2, drc.duplicates());
    }

    @Test
    void differentArgumentsHostsOrXidsAreDifferentCalls() throws Exception {
        DuplicateRequestCache drc = new DuplicateRequestCache(10, 1024);
        DuplicateRequestCache.Key k = key("10.0.0.1", 800, 7, "remove a");
        drc.begin(k);
        drc.complete(k, Unpooled.wrappedBuffer(new byte[4]));
        assertNotEquals(k, key("10.0.0.1", 800, 7, "remove b"));
        assertInstanceOf(DuplicateRequestCache.Lookup.Execute.class, drc.begin(key("10.0.0.1", 800, 7, "remove b")));
        assertInstanceOf(DuplicateRequestCache.Lookup.Execute.class, drc.begin(key("10.0.0.2", 800, 7, "remove a")));
        assertInstanceOf(DuplicateRequestCache.Lookup.Execute.class, drc.begin(key("10.0.0.1", 800, 8, "remove a")));
    }

    @Test
    void anAbandonedCallRunsAgainAndOversizedRepliesAreNotKept() throws Exception {
        DuplicateRequestCache drc = new DuplicateRequestCache(10, 8);
        DuplicateRequestCache.Key k = key("10.0.0.1", 800, 1, "x");
        drc.begin(k);
        drc.abandon(k);
        assertInstanceOf(DuplicateRequestCache.Lookup.Execute.class, drc.begin(k));
        drc.complete(k, Unpooled.wrappedBuffer(new byte[9]));
        assertInstanceOf(DuplicateRequestCache.Lookup.Execute.class, drc.begin(k));
    }

    @Test
    void theOldestEntriesAreEvicted() throws Exception {
        DuplicateRequestCache drc = new DuplicateRequestCache(100, 64);
        for (int xid = 0; xid < 1000; xid++) {
            DuplicateRequestCache.Key k = key("10.0.0.1", 800, xid, "a");
            drc.begin(k);
            drc.complete(k, Unpooled.wrappedBuffer(new byte[] {(byte) xid}));
        }
        assertEquals(100, drc.size());
        assertInstanceOf(DuplicateRequestCache.Lookup.Replay.class, drc.begin(key("10.0.0.1", 800, 999, "a")));
        assertInstanceOf(DuplicateRequestCache.Lookup.Execute.class, drc.begin(key("10.0.0.1", 800, 0, "a")));
    }
}
