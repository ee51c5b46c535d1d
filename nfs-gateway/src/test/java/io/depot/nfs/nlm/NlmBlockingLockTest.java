package io.depot.nfs.nlm;

import static io.depot.nfs.nlm.NlmLockingTest.pollUntil;
import static io.depot.nfs.nlm.NlmServer.fh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Blocking locks: BLOCKED, then NLM_GRANTED (or GRANTED_MSG) to the client host's lock manager,
 * found through its portmapper; what happens when the client refuses or never answers, CANCEL,
 * resent requests, and the *_MSG calls answered by *_RES calls.
 */
class NlmBlockingLockTest {
    static final byte[] DISK = fh(7);
    static final Duration WAIT = Duration.ofSeconds(10);

    private final CallbackHost host = new CallbackHost();
    private final NlmServer server = new NlmServer(host.settings());

    {
        host.server = server.address;
    }

    @AfterEach
    void close() {
        host.close();
        server.close();
    }

    @Test
    void blockedLockIsGrantedByCallbackWhenReleased() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 0, true, false));
            assertEquals(NlmStatus.BLOCKED, b.lock(DISK, 2, 10, 5, true, true));
            assertEquals(NlmStatus.BLOCKED, b.lock(DISK, 2, 10, 5, true, true), "the client's resend every 30 s");
            assertEquals(1, server.nlm.waiting().size(), "queued once");
            assertEquals(1, server.nlm.callbacksWaiting());

            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 0));
            CallbackHost.Received r = host.next(WAIT);
            assertEquals(Nlm.PROC_GRANTED, r.procedure());
            assertEquals(Nlm.VERSION_4, r.version());
            assertEquals("hostb", r.granted().lock().callerName());
            assertArrayEquals(DISK, r.granted().lock().fh());
            assertArrayEquals(NlmClient.ownerHandle(2), r.granted().lock().oh());
            assertEquals(2, r.granted().lock().svid());
            assertEquals(10, r.granted().lock().offset());
            assertEquals(5, r.granted().lock().length());
            assertTrue(r.granted().exclusive());

            pollUntil(() -> server.nlm.grantsBeingOffered() == 0);
            assertEquals(List.of(FileLock.exclusive(7, new LockOwner("hostb", 2, NlmClient.ownerHandle(2)), 10, 5)), server.nlm.locks());
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 10, 5, true, true), "a resend now answers GRANTED");
            assertEquals(NlmStatus.DENIED, a.lock(DISK, 1, 12, 1, false, false));
            pollUntil(() -> server.monitored.contains("hostb"));
            assertEquals(0, server.nlm.callbacksWaiting());
        }
    }

    @Test
    void grantRefusedByTheClientIsReleased() throws Exception {
        host.grantedAnswer = NlmStatus.DENIED;
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_3, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            assertEquals(NlmStatus.BLOCKED, b.lock(DISK, 2, 0, 10, true, true));
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 10));
            CallbackHost.Received r = host.next(WAIT);
            assertEquals(Nlm.VERSION_3, r.version(), "called back in the version it asked in");
            pollUntil(() -> server.nlm.lockCount() == 0);
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            assertTrue(server.monitored.stream().noneMatch("hostb"::equals));
        }
    }

    @Test
    void grantNeverAnsweredIsReleasedAfterTheAttempts() throws Exception {
        host.silent = true;
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            assertEquals(NlmStatus.BLOCKED, b.lock(DISK, 2, 0, 10, false, true));
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 10));
            pollUntil(() -> server.nlm.grantsBeingOffered() == 0);
            assertEquals(0, server.nlm.lockCount(), "not leaked to a client that never took it");
            assertEquals(2, host.received.size(), "offered twice (the configured attempts)");
        }
    }

    @Test
    void aResendWhileTheGrantIsOfferedKeepsTheLock() throws Exception {
        host.silent = true;
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            assertEquals(NlmStatus.BLOCKED, b.lock(DISK, 2, 0, 10, true, true));
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 10));
            host.next(WAIT); // the offer hangs at the client
            assertEquals(NlmStatus.GRANTED, b.lock(DISK, 2, 0, 10, true, true), "the resend is told it holds it");
            pollUntil(() -> server.nlm.grantsBeingOffered() == 0);
            assertEquals(1, server.nlm.lockCount(), "the unanswered offer does not take back what the resend confirmed");
            assertEquals(NlmStatus.DENIED, a.lock(DISK, 1, 0, 1, true, false));
        }
    }

    @Test
    void cancelledRequestIsNeverGranted() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb");
             NlmClient c = server.client(Nlm.VERSION_4, "hostc")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            assertEquals(NlmStatus.BLOCKED, b.lock(DISK, 2, 0, 10, true, true));
            assertEquals(NlmStatus.GRANTED, b.cancel(DISK, 2, 0, 10, true));
            assertEquals(0, server.nlm.waiting().size());
            assertEquals(0, server.nlm.callbacksWaiting());
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 10));
            assertEquals(NlmStatus.GRANTED, c.lock(DISK, 3, 0, 10, true, false), "b's request is gone");
            assertEquals(0, server.nlm.grantsBeingOffered());
            assertTrue(host.received.isEmpty(), "no callback for a cancelled request");
            assertEquals(NlmStatus.GRANTED, b.cancel(DISK, 2, 0, 10, true), "cancelling what does not wait is fine");
        }
    }

    @Test
    void lockMsgIsAnsweredByLockResAndGrantedByGrantedMsg() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            byte[] cookie = {4, 2};
            b.call(Nlm.PROC_LOCK_MSG, w -> NlmXdr.writeLockArgs(w, Nlm.VERSION_4,
                    new NlmXdr.LockArgs(cookie, true, true, b.lockOf(DISK, 2, 0, 10), false, 3)));
            CallbackHost.Received res = host.next(WAIT);
            assertEquals(Nlm.PROC_LOCK_RES, res.procedure());
            assertArrayEquals(cookie, res.res().cookie());
            assertEquals(NlmStatus.BLOCKED, res.res().status());

            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 10));
            CallbackHost.Received granted = host.next(WAIT);
            assertEquals(Nlm.PROC_GRANTED_MSG, granted.procedure(), "asked asynchronously, granted asynchronously");
            pollUntil(() -> server.monitored.contains("hostb")); // delivered: the GRANTED_RES was matched
            assertEquals(0, server.nlm.grantsBeingOffered());
            assertEquals(1, server.nlm.lockCount());
            assertEquals(NlmStatus.DENIED, a.lock(DISK, 1, 0, 1, false, false));
        }
    }

    @Test
    void grantedResDeniedReleasesTheLock() throws Exception {
        host.grantedAnswer = NlmStatus.DENIED;
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient b = server.client(Nlm.VERSION_4, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            b.call(Nlm.PROC_LOCK_MSG, w -> NlmXdr.writeLockArgs(w, Nlm.VERSION_4,
                    new NlmXdr.LockArgs(new byte[] {1}, true, true, b.lockOf(DISK, 2, 0, 10), false, 3)));
            assertEquals(Nlm.PROC_LOCK_RES, host.next(WAIT).procedure());
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 10));
            assertEquals(Nlm.PROC_GRANTED_MSG, host.next(WAIT).procedure());
            pollUntil(() -> server.nlm.lockCount() == 0 && server.nlm.grantsBeingOffered() == 0);
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
        }
    }

    @Test
    void testAndUnlockMessagesAnsweredInTheCallersVersion() throws Exception {
        try (NlmClient a = server.client(Nlm.VERSION_4, "hosta"); NlmClient old = server.client(Nlm.VERSION_1, "hostb")) {
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            old.call(Nlm.PROC_TEST_MSG, w -> NlmXdr.writeTestArgs(w, Nlm.VERSION_1,
                    new NlmXdr.TestArgs(new byte[] {8}, false, old.lockOf(DISK, 2, 5, 1))));
            CallbackHost.Received t = host.next(WAIT);
            assertEquals(Nlm.PROC_TEST_RES, t.procedure());
            assertEquals(Nlm.VERSION_1, t.version());
            assertEquals(NlmStatus.DENIED, t.res().status());
            a.call(Nlm.PROC_UNLOCK_MSG, w -> NlmXdr.writeUnlockArgs(w, Nlm.VERSION_4,
                    new NlmXdr.UnlockArgs(new byte[] {9}, a.lockOf(DISK, 1, 0, 10))));
            CallbackHost.Received u = host.next(WAIT);
            assertEquals(Nlm.PROC_UNLOCK_RES, u.procedure());
            assertEquals(NlmStatus.GRANTED, u.res().status());
            assertEquals(0, server.nlm.lockCount());
        }
    }

    @Test
    void aClientRegisteredForUdpOnlyIsCalledBackOverUdp() throws Exception {
        try (CallbackHost udpHost = new CallbackHost(io.depot.nfs.portmap.Portmap.IPPROTO_UDP);
             NlmServer udpServer = new NlmServer(udpHost.settings());
             NlmClient a = udpServer.client(Nlm.VERSION_4, "hosta"); NlmClient b = udpServer.client(Nlm.VERSION_4, "hostb")) {
            udpHost.server = udpServer.address;
            assertEquals(NlmStatus.GRANTED, a.lock(DISK, 1, 0, 10, true, false));
            assertEquals(NlmStatus.BLOCKED, b.lock(DISK, 2, 0, 10, true, true));
            assertEquals(NlmStatus.GRANTED, a.unlock(DISK, 1, 0, 10));
            assertEquals(Nlm.PROC_GRANTED, udpHost.next(WAIT).procedure());
            pollUntil(() -> udpServer.nlm.grantsBeingOffered() == 0);
            assertEquals(1, udpServer.nlm.lockCount(), "the answer over UDP was read: the lock is kept");
            assertEquals(NlmStatus.DENIED, a.lock(DISK, 1, 0, 1, false, false));
        }
    }
}
