package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile connections next to a well-behaved session. While one session writes and verifies
 * data on LUN 1, hundreds of connections send garbage before login, headers with impossible
 * lengths, and, after a valid login, mutated Full Feature Phase PDUs, to LUN 0 only. Each fuzz
 * connection must be answered (the NOP-Out ping sent after the bad PDU gets its NOP-In, or a
 * Reject/response arrives) or be closed by the target within {@link #BOUND}; a read timeout is
 * a failure. Afterwards the good session has no errors and its data verifies, and libiscsi's
 * iscsi-inq still logs in.
 *
 * <p>Seeded: the seed is printed; replay with {@code -Ddepot.fuzz.seed=N}. Excluded on purpose:
 * TARGET WARM/COLD RESET and anything addressed to LUN 1, which rightly disturb other sessions.
 */
@Timeout(90)
class MalformedPduFuzzTest {
    private static final Duration BOUND = Duration.ofSeconds(5);
    private static final int CONNECTIONS = 400;
    private static final long FUZZ_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final String GOOD = "iqn.2026-11.io.depot.test:well-behaved";
    private static final int GOOD_LUN = 1;
    private static final int BLOCK = 512;
    private static final long GOOD_BLOCKS = (32L << 20) / BLOCK;

    @TempDir
    Path dir;
    private TargetFixture target;
    private InetSocketAddress portal;
    private final AtomicBoolean stop = new AtomicBoolean();

    @BeforeEach
    void start() {
        target = new TargetFixture(dir, 16L << 20, 0);
        target.service.mapVolume(TargetFixture.IQN, GOOD_LUN, target.pool.createVolume("good", GOOD_BLOCKS * BLOCK));
        portal = new InetSocketAddress("127.0.0.1", target.port());
    }

    @AfterEach
    void stopTarget() {
        stop.set(true);
        target.close();
    }

    @Test
    void hostileConnectionsNeitherHangNorDisturbAWellBehavedSession() throws Exception {
        long seed = Long.getLong("depot.fuzz.seed", System.nanoTime());
        System.out.println("MalformedPduFuzzTest seed " + seed + " (replay with -Ddepot.fuzz.seed=" + seed + ")");
        Random random = new Random(seed);

        AtomicLong goodOps = new AtomicLong();
        CompletableFuture<Void> good = CompletableFuture.runAsync(() -> wellBehaved(seed, goodOps));

        long deadline = System.nanoTime() + FUZZ_BUDGET_NANOS;
        int[] outcomes = new int[3]; // answered, closed, pre-login closed
        int runs = 0;
        for (; runs < CONNECTIONS && System.nanoTime() < deadline && !good.isDone(); runs++) {
            int kind = random.nextInt(FuzzCase.values().length);
            FuzzCase c = FuzzCase.values()[kind];
            long caseSeed = random.nextLong();
            try {
                Outcome o = c.preLogin ? preLogin(c, new Random(caseSeed)) : fullFeature(c, new Random(caseSeed), runs);
                if (c.mustStayOpen) {
                    // RFC 7143 §11.17 / §4.2.2.1: these are rejected, ignored or failed per command; the connection lives on
                    assertEquals(Outcome.ANSWERED, o, "fuzz connection " + runs + " (" + c + ", case seed " + caseSeed
                            + ", run seed " + seed + ") was dropped instead of answered");
                }
                outcomes[o.ordinal()]++;
            } catch (SocketTimeoutException e) {
                fail("fuzz connection " + runs + " (" + c + ", case seed " + caseSeed + ", run seed " + seed
                        + ") was neither answered nor closed within " + BOUND);
            }
        }
        stop.set(true);
        good.get(30, TimeUnit.SECONDS); // rethrows the well-behaved session's first error
        System.out.printf("fuzz: %d connections (%d answered, %d closed by the target, %d pre-login closed); well-behaved session: %d verified ops%n",
                runs, outcomes[0], outcomes[1], outcomes[2], goodOps.get());
        assertTrue(runs >= 100, "too few fuzz connections ran: " + runs);
        assertTrue(goodOps.get() >= 20, "the well-behaved session made too little progress: " + goodOps.get());

        // the server is still fully usable by an independent client and by a fresh session
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        String inq = ExternalTool.check(Duration.ofSeconds(30), "iscsi-inq",
                "--initiator-name=iqn.2026-11.io.depot.test:after-fuzz", target.url(0));
        assertTrue(inq.contains("Depot") || inq.toLowerCase().contains("vendor"), "iscsi-inq output:\n" + inq);
        try (RawInitiator after = RawInitiator.login(portal, "iqn.2026-11.io.depot.test:after", 7, TargetFixture.IQN)) {
            after.clearUnitAttentions();
            assertArrayEquals(new byte[] {9}, after.ping(new byte[] {9}));
        }
    }

    /** Writes random data of random sizes (some above MaxBurstLength) at random LBAs and reads it back. */
    private void wellBehaved(long seed, AtomicLong ops) {
        Random random = new Random(~seed);
        try (RawInitiator s = RawInitiator.login(portal, GOOD, 0x80_0000_0000_42L, TargetFixture.IQN)) {
            s.clearUnitAttentions(GOOD_LUN);
            while (!stop.get()) {
                int blocks = random.nextInt(10) == 0 ? 1024 + random.nextInt(1200) : 1 + random.nextInt(128);
                long lba = (long) (random.nextDouble() * (GOOD_BLOCKS - blocks));
                byte[] data = new byte[blocks * BLOCK];
                random.nextBytes(data);
                RawInitiator.Result w = s.command(GOOD_LUN, RawInitiator.write16(lba, blocks), data, 0);
                assertTrue(w.good(), "well-behaved WRITE(16) of " + blocks + " blocks at " + lba + ": " + w);
                RawInitiator.Result r = s.command(GOOD_LUN, RawInitiator.read16(lba, blocks), null, data.length);
                assertTrue(r.good(), "well-behaved READ(16): " + r);
                assertArrayEquals(data, r.data(), "well-behaved data at LBA " + lba);
                ops.incrementAndGet();
            }
            s.logout();
        } catch (IOException e) {
            throw new AssertionError("the well-behaved session failed after " + ops.get() + " ops", e);
        }
    }

    enum Outcome { ANSWERED, CLOSED, PRE_LOGIN_CLOSED }

    enum FuzzCase {
        RANDOM_BYTES(true, false), TRUNCATED_HEADER(true, false), ABSURD_LENGTHS(true, false), COMMAND_BEFORE_LOGIN(true, false),
        CLOSE_MID_LOGIN(true, false), RANDOM_OPCODE(false, false), BAD_SCSI_FLAGS(false, false), DATA_OUT_FOR_NO_TASK(false, true),
        CMDSN_OUTSIDE_WINDOW(false, true), SNACK(false, true), WRONG_LUN_ENCODING(false, true), NOP_OUT_WITH_TTT(false, true),
        HUGE_EDTL(false, true), TEXT_GARBAGE(false, true), OVERSIZED_SEGMENT(false, false), CLOSE_MID_PDU(false, false),
        TASK_MANAGEMENT(false, false), DUPLICATE_ITT(false, true), MUTATED_COMMAND(false, false), AHS_GARBAGE(false, true);

        final boolean preLogin;
        /** A target at ErrorRecoveryLevel 0 answers these without dropping the connection. */
        final boolean mustStayOpen;

        FuzzCase(boolean preLogin, boolean mustStayOpen) {
            this.preLogin = preLogin;
            this.mustStayOpen = mustStayOpen;
        }
    }

    // ------------------------------------------------------------------ before login

    private Outcome preLogin(FuzzCase c, Random random) throws IOException {
        try (RawInitiator conn = RawInitiator.connect(portal, BOUND)) {
            byte[] login = loginHeader(random);
            switch (c) {
                case RANDOM_BYTES -> {
                    byte[] junk = new byte[1 + random.nextInt(4096)];
                    random.nextBytes(junk);
                    conn.sendBytes(junk);
                }
                case TRUNCATED_HEADER -> conn.sendBytes(Arrays.copyOf(login, 1 + random.nextInt(47)));
                case ABSURD_LENGTHS -> {
                    // either a data segment beyond any MaxRecvDataSegmentLength or an AHS beyond the largest CDB:
                    // the target must give up on the stream by itself, without us closing our side
                    if (random.nextBoolean()) {
                        int dsl = 0x40001 + random.nextInt(0xffffff - 0x40001);
                        login[5] = (byte) (dsl >>> 16);
                        login[6] = (byte) (dsl >>> 8);
                        login[7] = (byte) dsl;
                    } else {
                        login[4] = (byte) (67 + random.nextInt(189));
                    }
                    conn.sendBytes(login);
                    return awaitClose(conn, Outcome.CLOSED);
                }
                case COMMAND_BEFORE_LOGIN -> {
                    login[0] = (byte) (random.nextBoolean() ? RawInitiator.SCSI_CMD : random.nextInt(64));
                    if ((login[0] & 0x3f) == RawInitiator.LOGIN_REQ) {
                        login[0] = RawInitiator.NOP_OUT;
                    }
                    conn.send(Arrays.copyOf(login, 48), new byte[0]);
                    return awaitClose(conn, Outcome.CLOSED);
                }
                case CLOSE_MID_LOGIN -> {
                    byte[] text = RawInitiator.textData(Map.of("InitiatorName", "iqn.2026-11.io.depot.test:mid", "SessionType", "Normal"));
                    login[7] = (byte) text.length;
                    conn.sendBytes(Arrays.copyOf(login, 48));
                    conn.sendBytes(Arrays.copyOf(text, random.nextInt(text.length)));
                    return Outcome.PRE_LOGIN_CLOSED; // we close; the server must just cope (checked at the end)
                }
                default -> throw new IllegalStateException(c.toString());
            }
            // the target may legitimately wait for the rest of a PDU; once we stop sending it must close
            conn.socket().shutdownOutput();
            return awaitClose(conn, Outcome.PRE_LOGIN_CLOSED);
        }
    }

    private static byte[] loginHeader(Random random) {
        byte[] bhs = new byte[48];
        ByteBuffer b = ByteBuffer.wrap(bhs);
        bhs[0] = 0x40 | RawInitiator.LOGIN_REQ;
        bhs[1] = (byte) 0x87;
        b.putLong(8, (0x80_0000_0000_00L | random.nextInt(1 << 16)) << 16);
        b.putInt(16, random.nextInt());
        return bhs;
    }

    /** Reads (and discards) whatever comes until the target closes; a read timeout propagates. */
    private static Outcome awaitClose(RawInitiator conn, Outcome outcome) throws IOException {
        try {
            while (true) {
                conn.receiveRaw();
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException closed) {
            return outcome;
        }
    }

    // ------------------------------------------------------------------ in Full Feature Phase

    private Outcome fullFeature(FuzzCase c, Random random, int run) throws IOException {
        String name = "iqn.2026-11.io.depot.test:fuzz" + (run % 7);
        try (RawInitiator conn = RawInitiator.connect(portal, BOUND)) {
            conn.login(name, 0x80_0000_0000_00L | (run & 0xffff), TargetFixture.IQN, Map.of());
            switch (c) {
                case RANDOM_OPCODE -> {
                    byte[] bhs = randomHeader(random);
                    bhs[0] = (byte) ((random.nextBoolean() ? 0x40 : 0) | random.nextInt(64));
                    sendGuarded(conn, bhs, randomData(random, 64));
                }
                case BAD_SCSI_FLAGS -> {
                    byte[] bhs = scsiHeader(conn, RawInitiator.read16(random.nextInt(1000), 1 + random.nextInt(8)), random.nextInt(8192));
                    bhs[1] = (byte) random.nextInt(256);
                    sendGuarded(conn, bhs, random.nextBoolean() ? new byte[0] : randomData(random, 4096));
                }
                case DATA_OUT_FOR_NO_TASK -> {
                    byte[] bhs = randomHeader(random);
                    bhs[0] = RawInitiator.DATA_OUT;
                    bhs[1] = (byte) (random.nextBoolean() ? 0x80 : 0);
                    sendGuarded(conn, bhs, randomData(random, 8192));
                }
                case CMDSN_OUTSIDE_WINDOW -> {
                    byte[] bhs = random.nextBoolean()
                            ? RawInitiator.nopOut(conn.nextItt(), 0, conn.expStatSN())
                            : scsiHeader(conn, RawInitiator.read16(0, 1), 512);
                    bhs[0] &= ~0x40; // not immediate: the window applies
                    ByteBuffer.wrap(bhs).putInt(24, conn.cmdSN() + 1000 + random.nextInt(Integer.MAX_VALUE - 2000));
                    sendGuarded(conn, bhs, new byte[0]);
                }
                case SNACK -> {
                    byte[] bhs = randomHeader(random);
                    bhs[0] = RawInitiator.SNACK;
                    bhs[1] = (byte) (0x80 | random.nextInt(4));
                    sendGuarded(conn, bhs, new byte[0]);
                }
                case WRONG_LUN_ENCODING -> {
                    byte[] cdb = random.nextBoolean() ? inquiry() : RawInitiator.read16(random.nextInt(100), 1);
                    byte[] bhs = scsiHeader(conn, cdb, 512);
                    ByteBuffer.wrap(bhs).putLong(8, notGoodLun(random.nextLong()));
                    sendGuarded(conn, bhs, new byte[0]);
                }
                case NOP_OUT_WITH_TTT -> {
                    byte[] bhs = RawInitiator.nopOut(conn.nextItt(), conn.cmdSN(), conn.expStatSN());
                    ByteBuffer.wrap(bhs).putInt(20, random.nextInt() & 0x7fffffff);
                    sendGuarded(conn, bhs, randomData(random, 32));
                }
                case HUGE_EDTL -> {
                    boolean write = random.nextBoolean();
                    byte[] cdb = write ? RawInitiator.write16(random.nextInt(100), 0x7fffff) : RawInitiator.read16(random.nextInt(100), 0x7fffff);
                    byte[] bhs = scsiHeader(conn, cdb, 0);
                    bhs[1] = (byte) (0x80 | (write ? 0x20 : 0x40) | 1);
                    ByteBuffer.wrap(bhs).putInt(20, random.nextBoolean() ? -1 : 0x10000000 + random.nextInt(0x60000000));
                    sendGuarded(conn, bhs, write && random.nextBoolean() ? randomData(random, 4096) : new byte[0]);
                }
                case TEXT_GARBAGE -> {
                    byte[] bhs = new byte[48];
                    ByteBuffer b = ByteBuffer.wrap(bhs);
                    bhs[0] = (byte) (0x40 | RawInitiator.TEXT_REQ);
                    bhs[1] = (byte) (random.nextBoolean() ? 0x80 : 0x40);
                    b.putInt(16, conn.nextItt());
                    b.putInt(20, random.nextBoolean() ? RawInitiator.RESERVED : random.nextInt());
                    b.putInt(24, conn.cmdSN());
                    b.putInt(28, conn.expStatSN());
                    sendGuarded(conn, bhs, randomData(random, 8192));
                }
                case OVERSIZED_SEGMENT -> {
                    byte[] bhs = RawInitiator.nopOut(conn.nextItt(), conn.cmdSN(), conn.expStatSN());
                    int dsl = 0x40001 + random.nextInt(0xffffff - 0x40001);
                    bhs[5] = (byte) (dsl >>> 16);
                    bhs[6] = (byte) (dsl >>> 8);
                    bhs[7] = (byte) dsl;
                    conn.sendBytes(bhs);
                    return awaitClose(conn, Outcome.CLOSED);
                }
                case CLOSE_MID_PDU -> {
                    byte[] bhs = scsiHeader(conn, RawInitiator.write16(0, 8), 4096);
                    bhs[5] = 0;
                    bhs[6] = 0x10;
                    bhs[7] = 0;
                    conn.sendBytes(bhs);
                    conn.sendBytes(randomData(random, 4000));
                    return Outcome.PRE_LOGIN_CLOSED; // closed by us mid-PDU; the server must cope
                }
                case TASK_MANAGEMENT -> {
                    byte[] bhs = randomHeader(random);
                    bhs[0] = (byte) (0x40 | RawInitiator.TMF_REQ);
                    int function = 1 + random.nextInt(15);
                    if (function == 6 || function == 7) {
                        function = 5; // target resets would rightly disturb the well-behaved session
                    }
                    bhs[1] = (byte) ((random.nextBoolean() ? 0x80 : 0) | function);
                    ByteBuffer.wrap(bhs).putLong(8, notGoodLun(random.nextBoolean() ? 0 : random.nextLong()));
                    sendGuarded(conn, bhs, new byte[0]);
                }
                case DUPLICATE_ITT -> {
                    byte[] first = scsiHeader(conn, RawInitiator.write16(0, 64), 64 * BLOCK);
                    first[1] = (byte) (0x80 | 0x20 | 1);
                    sendGuarded(conn, first, new byte[0]); // waits for Data-Out after an R2T
                    byte[] second = scsiHeader(conn, RawInitiator.read16(0, 1), 512);
                    System.arraycopy(first, 16, second, 16, 4);
                    sendGuarded(conn, second, new byte[0]);
                }
                case MUTATED_COMMAND -> {
                    boolean write = random.nextBoolean();
                    byte[] bhs = scsiHeader(conn, write ? RawInitiator.write16(random.nextInt(100), 1) : RawInitiator.read16(random.nextInt(100), 1), 512);
                    bhs[1] = (byte) (0x80 | (write ? 0x20 : 0x40) | 1);
                    for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
                        int at = random.nextInt(48);
                        if (at >= 4 && at <= 7) {
                            continue; // lengths are covered elsewhere; here the PDU stays framed
                        }
                        bhs[at] ^= (byte) (1 << random.nextInt(8));
                    }
                    ByteBuffer.wrap(bhs).putLong(8, notGoodLun(ByteBuffer.wrap(bhs).getLong(8)));
                    sendGuarded(conn, bhs, write && random.nextBoolean() ? randomData(random, 512) : new byte[0]);
                }
                case AHS_GARBAGE -> {
                    int ahsWords = 1 + random.nextInt(66);
                    byte[] header = new byte[48 + ahsWords * 4];
                    byte[] bhs = scsiHeader(conn, random.nextBoolean() ? inquiry() : RawInitiator.read16(0, 1), 512);
                    System.arraycopy(bhs, 0, header, 0, 48);
                    byte[] ahs = randomData(random, ahsWords * 4);
                    System.arraycopy(ahs, 0, header, 48, ahs.length);
                    header[4] = (byte) ahsWords;
                    sendGuarded(conn, header, new byte[0]);
                }
                default -> throw new IllegalStateException(c.toString());
            }
            return pingOrClosed(conn);
        }
    }

    /**
     * After the bad PDU, an immediate NOP-Out: its NOP-In proves the connection still works;
     * Rejects and responses to the bad PDU may come first; a close is an answer too.
     */
    private static Outcome pingOrClosed(RawInitiator conn) throws IOException {
        int tag = 0x5000_0000 | conn.nextItt();
        try {
            conn.send(RawInitiator.nopOut(tag, conn.cmdSN(), conn.expStatSN()), new byte[] {1, 2, 3, 4});
            while (true) {
                RawInitiator.Pdu p = conn.receive();
                if (p.opcode() == RawInitiator.NOP_IN && p.itt() == tag) {
                    assertArrayEquals(new byte[] {1, 2, 3, 4}, p.data(), "NOP-In echoes the ping data");
                    return Outcome.ANSWERED;
                }
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException closed) {
            return Outcome.CLOSED;
        }
    }

    /** Sends a fuzzed PDU, except that it never resets the target nor addresses the well-behaved session's LUN. */
    private static void sendGuarded(RawInitiator conn, byte[] header, byte[] data) throws IOException {
        if ((header[0] & 0x3f) == RawInitiator.TMF_REQ && ((header[1] & 0x7f) == 6 || (header[1] & 0x7f) == 7)) {
            header[1] = (byte) ((header[1] & 0x80) | 5);
        }
        ByteBuffer.wrap(header).putLong(8, notGoodLun(ByteBuffer.wrap(header).getLong(8)));
        conn.send(header, data);
    }

    private static byte[] scsiHeader(RawInitiator conn, byte[] cdb, int edtl) {
        byte[] bhs = new byte[48];
        ByteBuffer b = ByteBuffer.wrap(bhs);
        bhs[0] = (byte) (0x40 | RawInitiator.SCSI_CMD); // immediate: no CmdSN bookkeeping in the fuzzer
        bhs[1] = (byte) (0x80 | 0x40 | 1);
        b.putLong(8, 0);
        b.putInt(16, conn.nextItt());
        b.putInt(20, edtl);
        b.putInt(24, conn.cmdSN());
        b.putInt(28, conn.expStatSN());
        System.arraycopy(cdb, 0, bhs, 32, cdb.length);
        return bhs;
    }

    private static byte[] randomHeader(Random random) {
        byte[] bhs = new byte[48];
        random.nextBytes(bhs);
        bhs[4] = 0; // framing is fuzzed by the cases that mean to
        ByteBuffer.wrap(bhs).putLong(8, notGoodLun(ByteBuffer.wrap(bhs).getLong(8)));
        return bhs;
    }

    private static byte[] randomData(Random random, int max) {
        byte[] d = new byte[random.nextInt(max + 1)];
        random.nextBytes(d);
        return d;
    }

    private static byte[] inquiry() {
        return new byte[] {0x12, 0, 0, 0, (byte) 0xff, 0};
    }

    /** Any LUN field except one that decodes to the well-behaved session's LUN (peripheral or flat addressing). */
    private static long notGoodLun(long field) {
        boolean decodesToGood = (field & 0x0000_ffff_ffff_ffffL) == 0 && (field >>> 62) <= 1 && ((field >>> 48) & 0x3fff) == GOOD_LUN;
        return decodesToGood ? field ^ (1L << 48) : field;
    }
}
