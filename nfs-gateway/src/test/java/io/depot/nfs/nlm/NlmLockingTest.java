package io.depot.nfs.nlm;

import static io.depot.nfs.nlm.NlmServer.fh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.nfs.rpc.Rpc;
import io.depot.nfs.rpc.RpcReply;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** NLM over real sockets, two client hosts: conflicts, ranges, versions, QEMU's image locks, shares, FREE_ALL, bad input. */
class NlmLockingTest {
    static final byte[] DISK = fh(42);
    static final byte[] OTHER = fh(43);

    private final NlmServer server = new NlmServer();

    @AfterEach
    void close() {
        server.close();
    }

    @Test
    void exclusiveAndSharedAcrossTwoHosts() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 100, false, false));
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 50, 100, false, false), "two readers share");
            assertEquals(NlmStatus.DENIED, b.lock(DISK, 2, 0, 10, true, false), "a writer waits for the other reader");
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 100, 10, true, false), "past a's range, only b reads: upgraded");
            assertEquals(NlmStatus.GRANTED, b.lock(OTHER, 2, 0, 0, true, false), "another file is another file");

            NlmClient.TestReply t = a.test(DISK, 1, 105, 1, false);
            assertEquals(NlmStatus.DENIED, t.status());
            assertTrue(t.exclusive());
            assertEquals(2, t.svid());
            assertArrayEquals(NlmClient.ownerHandle(2), t.oh());
            assertEquals(100, t.offset());
            assertEquals(10, t.length());

            assertEquals(NlmStatus.GRANTED, b.unlock(DISK, 2, 0, 0));
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 0, true, false), "alone now: a writes the whole file");
            assertEquals(NlmStatus.GRANTED, a.test(DISK, 1, 0, 0, true).status(), "an owner never conflicts with itself");
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 7, 3), "unlocking a hole splits the lock");
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 7, 3, true, false));
            assertEquals(NlmStatus.DENIED, b.lock(DISK, 2, 10, 1, true, false));
        }
    }

    @Test
    void lengthZeroRunsToTheEndOfTheFileAnd64BitOffsetsCount() throws Exception {
        long far = 0xFFFF_FFFF_0000_0000L; // beyond 2^63: unsigned
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 1L << 40, 0, true, false));
            assertEquals(NlmStatus.DENIED, b.lock(DISK, 2, far, 1, true, false), "to EOF covers the largest offsets");
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, (1L << 40) - 1, 1, true, false), "the byte before is free");
            NlmClient.TestReply t = b.test(DISK, 2, far + 5, 10, false);
            assertEquals(NlmStatus.DENIED, t.status());
            assertEquals(1L << 40, t.offset());
            assertEquals(0, t.length(), "the holder runs to EOF");
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 0));
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, far, 16, true, false));
            assertEquals(NlmStatus.DENIED, a.test(DISK, 1, far + 15, 1, false).status());
            assertEquals(NlmStatus.GRANTED, a.test(DISK, 1, far + 16, 1, false).status());
        }
    }

    @Test
    void versionsOneAndThreeSpeak32Bits() throws Exception {
        try (NlmClient v1 = server.client(Nlm.VERSION_1, "hosta"); NlmClient v3 = server.client(Nlm.VERSION_3, "hostb");
             NlmClient v4 = server.client(Nlm.VERSION_4, "hostc")) {
            assertEquals(NlmStatus.GRANTED, v1.lock(DISK, 1, 0xFFFF_FF00L, 0x100, true, false), "the top of the 32-bit space");
            assertEquals(NlmStatus.DENIED, v3.lock(DISK, 2, 0xFFFF_FFFFL, 1, false, false));
            NlmClient.TestReply t = v3.test(DISK, 2, 0xFFFF_FFF0L, 1, false);
            assertEquals(NlmStatus.DENIED, t.status());
            assertEquals(0xFFFF_FF00L, t.offset());
            assertEquals(0x100, t.length());

            // a v4 lock beyond 4 GiB, as a v3 client sees it: clamped, running to the end
            assertEquals(NlmStatus.GRANTED, v4.lock(OTHER, 3, 1L << 33, 10, true, false));
            NlmClient.TestReply clamped = v3.test(OTHER, 2, 0, 0, false);
            assertEquals(NlmStatus.DENIED, clamped.status());
            assertEquals(0xFFFF_FFFFL, clamped.offset());
            assertEquals(0, clamped.length());
            assertEquals(NlmStatus.GRANTED, v3.lock(OTHER, 2, 0, 0xFFFF_FFFFL, true, false), "all of 32-bit space is below 2^33");
        }
    }

    @Test
    void qemuImageLocksKeepASecondQemuOff() throws Exception {
        // QEMU holds a shared OFD lock on byte 100 + p for each permission p it uses and on
        // 200 + p for each it denies others: byte 100 is "consistent read", 201 "nobody else
        // writes". A second QEMU that wants to write probes byte 201 exclusively and is refused.
        try (NlmClient hostA = server.client(Nlm.VERSION_4, "hypervisor-a"); NlmClient hostB = server.client(Nlm.VERSION_4, "hypervisor-b")) {
            assertEquals(NlmStatus.GRANTED, hostA.lock(DISK, 4001, 100, 1, false, false));
            assertEquals(NlmStatus.GRANTED, hostA.lock(DISK, 4001, 201, 1, false, false));
            assertEquals(NlmStatus.GRANTED, hostB.lock(DISK, 5001, 100, 1, false, false), "a second reader may open");
            assertEquals(NlmStatus.DENIED, hostB.lock(DISK, 5001, 201, 1, true, false), "but not write while the first denies writers");
            assertEquals(NlmStatus.DENIED, hostB.test(DISK, 5001, 201, 1, true).status());
            assertEquals(NlmStatus.GRANTED, hostB.unlock(DISK, 5001, 100, 1));
            // the first QEMU quits (or migrates away): the second takes the image
            assertEquals(NlmStatus.GRANTED, hostA.unlock(DISK, 4001, 0, 0));
            assertEquals(NlmStatus.GRANTED, hostB.lock(DISK, 5001, 100, 1, true, false));
            assertEquals(NlmStatus.GRANTED, hostB.lock(DISK, 5001, 201, 1, true, false));
            assertEquals(NlmStatus.DENIED, hostA.lock(DISK, 4001, 100, 1, false, false));
        }
    }

    @Test
    void hostNamesAreOneHostHoweverSpelt() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "HostA.Example."); NlmClient sameHost = server.client(Nlm.VERSION_4, "hosta.example")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            assertEquals(NlmStatus.GRANTED, sameHost.lock(DISK, 1, 0, 10, true, false), "same host, process and owner");
            pollUntil(() -> !server.monitored.isEmpty());
            assertEquals(List.of("hosta.example"), server.monitored);
            server.nlm.hostRebooted("HOSTA.EXAMPLE");
            assertEquals(0, server.nlm.lockCount());
        }
    }

    @Test
    void monitoredLocksTellTheStatusMonitorOncePerHostAndNmLockNever() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_3, "hostb")) {
            assertEquals(NlmStatus.GRANTED, b.nmLock(DISK, 2, 0, 1, true));
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 10, 1, true, false));
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 20, 1, true, false));
            assertEquals(NlmStatus.DENIED, a.lock(DISK, 1, 0, 1, false, false), "NM_LOCK locks count like others");
            pollUntil(() -> server.monitored.size() == 1);
            assertEquals(List.of("hosta"), server.monitored);
            a.freeAll("hosta");
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 10, 1, true, false));
            pollUntil(() -> server.monitored.size() == 2);
            assertEquals(List.of("hosta", "hosta"), server.monitored, "monitored again after its reboot");
        }
    }

    @Test
    void freeAllDropsEveryLockAndShareOfTheHostOnly() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            assertEquals(NlmStatus.GRANTED, a.lock(OTHER, 9, 0, 0, true, false));
            assertEquals(NlmStatus.GRANTED, a.share(DISK, NlmClient.ownerHandle(1), 3, 3, false));
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 50, 10, true, false));
            assertEquals(NlmStatus.DENIED, b.lock(DISK, 2, 0, 1, true, false));
            b.freeAll("HOSTA."); // whoever sends it, FREE_ALL names the host that rebooted
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 0, 1, true, false));
            assertEquals(NlmStatus.GRANTED, b.lock(OTHER, 2, 0, 1, true, false));
            assertEquals(NlmStatus.GRANTED, b.share(DISK, NlmClient.ownerHandle(2), 3, 3, false));
            assertTrue(server.nlm.locks().stream().allMatch(l -> l.owner().host().equals("hostb")));
            assertEquals(3, server.nlm.lockCount());
        }
    }

    @Test
    void shareReservationsConflictByAccessAndDenyMode() throws Exception {
        byte[] ohA = NlmClient.ownerHandle(1);
        byte[] ohB = NlmClient.ownerHandle(2);
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_3, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.share(DISK, ohA, 1, 2, false), "a reads, denies writers");
            assertEquals(NlmStatus.GRANTED, b.share(DISK, ohB, 1, 0, false), "b reads, denies nothing");
            assertEquals(NlmStatus.DENIED, b.share(DISK, NlmClient.ownerHandle(3), 2, 0, false), "another owner may not write");
            assertEquals(NlmStatus.DENIED, b.share(DISK, ohB, 3, 0, false), "b's own upgrade to write conflicts with a's deny");
            assertEquals(NlmStatus.GRANTED, a.share(DISK, ohA, 3, 0, false), "a replaces its own reservation");
            assertEquals(NlmStatus.DENIED, b.share(DISK, ohB, 1, 1, false), "b may not deny readers while a reads");
            assertEquals(NlmStatus.GRANTED, a.unshare(DISK, ohA));
            assertEquals(NlmStatus.GRANTED, b.share(DISK, ohB, 3, 3, false));
            assertEquals(NlmStatus.DENIED, a.share(DISK, ohA, 0, 1, false), "denying readers while b reads conflicts");
            assertEquals(NlmStatus.GRANTED, a.share(DISK, ohA, 0, 0, false), "no access, no deny: never conflicts");
            assertEquals(2, server.nlm.shares().size());
        }
    }

    @Test
    void staleOrBogusHandlesAreRefusedPerVersion() throws Exception {
        server.removed.add(43L);
        try (NlmClient v4 = server.client(Nlm.VERSION_4, "hosta"); NlmClient v1 = server.client(Nlm.VERSION_1, "hostb");
             NlmClient v3 = server.client(Nlm.VERSION_3, "hostc")) {
            assertEquals(NlmStatus.STALE_FH, v4.lock(OTHER, 1, 0, 1, true, false));
            assertEquals(NlmStatus.STALE_FH, v4.lock(new byte[] {1, 2, 3}, 1, 0, 1, true, false));
            assertEquals(NlmStatus.STALE_FH, v4.test(OTHER, 1, 0, 1, true).status());
            assertEquals(NlmStatus.STALE_FH, v4.unlock(OTHER, 1, 0, 1));
            assertEquals(NlmStatus.STALE_FH, v4.share(OTHER, new byte[1], 1, 1, false));
            RpcReply r = v1.call(Nlm.PROC_LOCK, w -> NlmXdr.writeLockArgs(w, Nlm.VERSION_1,
                    new NlmXdr.LockArgs(new byte[0], false, true, v1.lockOf(OTHER, 2, 0, 1), false, 0)));
            XdrCheck.status(r, 2); // nlm_stats has no STALE_FH: LCK_DENIED_NOLOCKS
            assertEquals(NlmStatus.DENIED_NOLOCKS, v3.test(OTHER, 3, 0, 1, true).status());
            assertEquals(NlmStatus.GRANTED, v3.lock(DISK, 3, 0, 1, true, false), "a good handle still works");
        }
    }

    @Test
    void malformedArgumentsAreGarbageAndTheServerStaysUp() throws Exception {
        try (NlmClient bad = server.client(Nlm.VERSION_4, "hosta"); NlmClient good = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(Rpc.GARBAGE_ARGS, bad.rawCall(Nlm.PROC_LOCK, w -> w.writeInt(3)).acceptStat(), "truncated");
            assertEquals(Rpc.GARBAGE_ARGS, bad.rawCall(Nlm.PROC_TEST, w -> w.writeOpaque(new byte[0]).writeInt(7)).acceptStat(),
                    "a boolean of 7");
            assertEquals(Rpc.GARBAGE_ARGS, bad.rawCall(Nlm.PROC_LOCK, w -> w.writeOpaque(new byte[2000])).acceptStat(),
                    "a cookie longer than a netobj");
            assertEquals(Rpc.GARBAGE_ARGS, bad.rawCall(Nlm.PROC_SHARE, w -> NlmXdr.writeShareArgs(w,
                    new NlmXdr.ShareArgs(new byte[0], new NlmShare("hosta", DISK, new byte[0], 9, 1), false))).acceptStat(), "deny mode 9");
            assertEquals(Rpc.GARBAGE_ARGS, bad.rawCall(Nlm.PROC_UNLOCK, w -> {
                NlmXdr.writeUnlockArgs(w, Nlm.VERSION_4, new NlmXdr.UnlockArgs(new byte[0], bad.lockOf(DISK, 1, 0, 1)));
                w.writeInt(0);
            }).acceptStat(), "trailing bytes");
            assertEquals(Rpc.PROC_UNAVAIL, bad.rawCall(Nlm.PROC_FREE_ALL + 1, w -> {}).acceptStat());
            assertEquals(NlmStatus.GRANTED, bad.lock(DISK, 1, 0, 1, true, false), "the bad client's connection still works");
            assertEquals(NlmStatus.DENIED, good.lock(DISK, 2, 0, 1, true, false));
        }
        try (NlmClient v1 = server.client(Nlm.VERSION_1, "hostb")) {
            assertEquals(Rpc.PROC_UNAVAIL, v1.rawCall(Nlm.PROC_SHARE, w -> {}).acceptStat(), "SHARE came with version 3");
        }
    }

    @Test
    void aClientCallingGrantedOnTheServerIsToldNoneIsWaited() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta")) {
            byte[] cookie = {9};
            RpcReply r = a.call(Nlm.PROC_GRANTED, w -> NlmXdr.writeTestArgs(w, Nlm.VERSION_4,
                    new NlmXdr.TestArgs(cookie, true, a.lockOf(DISK, 1, 0, 1))));
            NlmXdr.Res res = NlmXdr.readRes(r.results(), Nlm.VERSION_4);
            assertArrayEquals(cookie, res.cookie());
            assertEquals(NlmStatus.DENIED, res.status());
            assertFalse(server.nlm.locks().iterator().hasNext());
        }
    }

    static void pollUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }

    /** Reads nlm_res's raw status number. */
    static final class XdrCheck {
        static void status(RpcReply r, int expected) {
            var x = r.results();
            NlmXdr.readNetobj(x);
            assertEquals(expected, x.readInt());
        }
    }
}
