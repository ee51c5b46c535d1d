package io.depot.iscsi.interop;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A deliberately small iSCSI initiator over a plain socket, written from RFC 7143 for tests:
 * one login (no authentication, no digests, ErrorRecoveryLevel 0), then one SCSI command at a
 * time with immediate data and R2T-solicited Data-Out, Data-In reassembly by buffer offset, task
 * management, NOP answering and logout. It checks what it relies on (tags, offsets, DataSN) and
 * throws {@link ProtocolException} otherwise. Also exposes raw PDU send/receive for fuzzing.
 *
 * <p>Not thread-safe: one thread drives one initiator.
 */
final class RawInitiator implements AutoCloseable {
    static final int BHS = 48;
    static final int RESERVED = 0xffffffff;

    // Opcodes (RFC 7143 §11.2.1.2)
    static final int NOP_OUT = 0x00, SCSI_CMD = 0x01, TMF_REQ = 0x02, LOGIN_REQ = 0x03, TEXT_REQ = 0x04,
            DATA_OUT = 0x05, LOGOUT_REQ = 0x06, SNACK = 0x10;
    static final int NOP_IN = 0x20, SCSI_RSP = 0x21, TMF_RSP = 0x22, LOGIN_RSP = 0x23, TEXT_RSP = 0x24,
            DATA_IN = 0x25, LOGOUT_RSP = 0x26, R2T = 0x31, ASYNC = 0x32, REJECT = 0x3f;

    static final int GOOD = 0x00, CHECK_CONDITION = 0x02, RESERVATION_CONFLICT = 0x18;

    /** A PDU as received: the 48-byte header and the data segment (without padding). */
    record Pdu(byte[] bhs, byte[] data) {
        int opcode() { return bhs[0] & 0x3f; }
        int flags() { return bhs[1] & 0xff; }
        int itt() { return ByteBuffer.wrap(bhs).getInt(16); }
        int word(int offset) { return ByteBuffer.wrap(bhs).getInt(offset); }
        int byteAt(int offset) { return bhs[offset] & 0xff; }

        @Override
        public String toString() {
            return String.format("PDU opcode 0x%02x flags 0x%02x itt 0x%08x, %d data bytes", opcode(), flags(), itt(), data.length);
        }
    }

    /** Outcome of a SCSI command: status, sense bytes (empty when none), Data-In and residual. */
    record Result(int status, byte[] sense, byte[] data, int residual) {
        int senseKey() { return sense.length > 2 ? sense[2] & 0x0f : -1; }
        int asc() { return sense.length > 12 ? sense[12] & 0xff : -1; }

        boolean good() { return status == GOOD; }

        @Override
        public String toString() {
            return String.format("status 0x%02x sense key 0x%x asc 0x%02x, %d data bytes", status, senseKey(), asc(), data.length);
        }
    }

    static final class ProtocolException extends IOException {
        final Pdu pdu;

        ProtocolException(String message, Pdu pdu) {
            super(message + (pdu == null ? "" : ": " + pdu));
            this.pdu = pdu;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int itt = 1;
    private int cmdSN;
    private int expStatSN;
    private int maxCmdSN;
    private int tsih;
    /** What the target told us in its login responses. */
    final Map<String, String> targetKeys = new LinkedHashMap<>();
    private int targetMaxRecv = 8192;
    private int firstBurst = 65536;
    private int maxBurst = 262144;
    private boolean immediateData;
    private boolean initialR2T = true;

    private RawInitiator(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Opens a TCP connection; every read waits at most {@code timeout}. */
    static RawInitiator connect(InetSocketAddress target, Duration timeout) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(target, (int) timeout.toMillis());
        s.setSoTimeout((int) timeout.toMillis());
        return new RawInitiator(s);
    }

    /** Connects and logs in to a normal session with default operational keys. */
    static RawInitiator login(InetSocketAddress target, String initiatorName, long isid, String targetName) throws IOException {
        RawInitiator r = connect(target, Duration.ofSeconds(10));
        try {
            r.login(initiatorName, isid, targetName, Map.of());
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    Socket socket() { return socket; }

    int tsih() { return tsih; }

    int maxBurstLength() { return maxBurst; }

    /**
     * Login with AuthMethod=None in the security stage, then the operational stage, until the
     * target transits to Full Feature Phase. {@code extraKeys} override or add operational keys.
     */
    void login(String initiatorName, long isid, String targetName, Map<String, String> extraKeys) throws IOException {
        Map<String, String> security = new LinkedHashMap<>();
        security.put("InitiatorName", initiatorName);
        security.put("SessionType", "Normal");
        security.put("TargetName", targetName);
        security.put("AuthMethod", "None");
        Map<String, String> ops = new LinkedHashMap<>();
        ops.put("HeaderDigest", "None");
        ops.put("DataDigest", "None");
        ops.put("ErrorRecoveryLevel", "0");
        ops.put("InitialR2T", "Yes");
        ops.put("ImmediateData", "Yes");
        ops.put("MaxRecvDataSegmentLength", "262144");
        ops.put("MaxBurstLength", "262144");
        ops.put("FirstBurstLength", "65536");
        ops.put("MaxOutstandingR2T", "1");
        ops.put("MaxConnections", "1");
        ops.putAll(extraKeys);
        int loginItt = itt++;
        Pdu rsp = loginStep(isid, loginItt, 0, 1, security);
        for (int round = 0; (rsp.flags() & 0x80) == 0 || (rsp.flags() & 3) != 1; round++) {
            if (round == 8) {
                throw new ProtocolException("the target never left the security stage", rsp);
            }
            rsp = loginStep(isid, loginItt, 0, 1, Map.of());
        }
        Map<String, String> pending = ops;
        for (int round = 0; round < 8; round++) {
            rsp = loginStep(isid, loginItt, 1, 3, pending);
            if ((rsp.flags() & 0x80) != 0 && (rsp.flags() & 3) == 3) {
                tsih = ByteBuffer.wrap(rsp.bhs()).getShort(14) & 0xffff;
                applyNegotiated();
                return;
            }
            pending = Map.of();
        }
        throw new ProtocolException("the target never transited to Full Feature Phase", rsp);
    }

    private Pdu loginStep(long isid, int loginItt, int csg, int nsg, Map<String, String> keys) throws IOException {
        byte[] bhs = new byte[BHS];
        ByteBuffer b = ByteBuffer.wrap(bhs);
        bhs[0] = (byte) (0x40 | LOGIN_REQ);
        bhs[1] = (byte) (0x80 | csg << 2 | nsg);
        b.putLong(8, isid << 16 | tsih);
        b.putInt(16, loginItt);
        b.putInt(24, cmdSN);
        b.putInt(28, expStatSN);
        send(bhs, textData(keys));
        Pdu rsp = receive();
        if (rsp.opcode() != LOGIN_RSP) {
            throw new ProtocolException("expected a Login Response", rsp);
        }
        if (rsp.byteAt(36) != 0) {
            throw new ProtocolException(String.format("login failed with status class 0x%02x detail 0x%02x",
                    rsp.byteAt(36), rsp.byteAt(37)), rsp);
        }
        expStatSN = rsp.word(24) + 1;
        maxCmdSN = rsp.word(32);
        targetKeys.putAll(parseText(rsp.data()));
        return rsp;
    }

    private void applyNegotiated() {
        targetMaxRecv = Integer.parseInt(targetKeys.getOrDefault("MaxRecvDataSegmentLength", "8192"));
        firstBurst = Integer.parseInt(targetKeys.getOrDefault("FirstBurstLength", "65536"));
        maxBurst = Integer.parseInt(targetKeys.getOrDefault("MaxBurstLength", "262144"));
        immediateData = "Yes".equals(targetKeys.get("ImmediateData"));
        initialR2T = !"No".equals(targetKeys.get("InitialR2T"));
    }

    static byte[] textData(Map<String, String> keys) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        keys.forEach((k, v) -> {
            b.writeBytes((k + "=" + v).getBytes(StandardCharsets.UTF_8));
            b.write(0);
        });
        return b.toByteArray();
    }

    static Map<String, String> parseText(byte[] data) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : new String(data, StandardCharsets.UTF_8).split("\0")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ SCSI

    /** A LUN field with peripheral device addressing (SAM-5 §4.7.7), what libiscsi sends for LUNs below 256. */
    static long lunField(int lun) {
        return (long) lun << 48;
    }

    /** A command that only sends data (or nothing). */
    Result command(int lun, byte[] cdb, byte[] dataOut) throws IOException {
        return command(lun, cdb, dataOut, 0);
    }

    /** Runs one SCSI command and waits for its status. {@code dataOut} may be null; {@code readLength} 0 for none. */
    Result command(int lun, byte[] cdb, byte[] dataOut, int readLength) throws IOException {
        int tag = itt++;
        int edtl = dataOut != null ? dataOut.length : readLength;
        int immediate = dataOut == null || !immediateData ? 0 : Math.min(Math.min(firstBurst, targetMaxRecv), dataOut.length);
        byte[] bhs = new byte[BHS];
        ByteBuffer b = ByteBuffer.wrap(bhs);
        bhs[0] = SCSI_CMD;
        // F: no unsolicited Data-Out follows (InitialR2T=Yes, or everything went as immediate data)
        bhs[1] = (byte) (0x80 | (dataOut != null ? 0x20 : 0) | (readLength > 0 ? 0x40 : 0) | 0x01);
        b.putLong(8, lunField(lun));
        b.putInt(16, tag);
        b.putInt(20, edtl);
        b.putInt(24, cmdSN++);
        b.putInt(28, expStatSN);
        System.arraycopy(cdb, 0, bhs, 32, Math.min(16, cdb.length));
        if (!initialR2T && dataOut != null && immediate < Math.min(firstBurst, dataOut.length)) {
            throw new UnsupportedOperationException("unsolicited Data-Out PDUs are not implemented; negotiate InitialR2T=Yes");
        }
        send(bhs, immediate == 0 ? new byte[0] : Arrays.copyOf(dataOut, immediate));
        byte[] dataIn = new byte[readLength];
        int received = 0;
        int expectDataSN = 0;
        while (true) {
            Pdu p = receive();
            switch (p.opcode()) {
                case R2T -> {
                    checkTag(p, tag);
                    int offset = p.word(40);
                    int length = p.word(44);
                    if (dataOut == null || offset < 0 || length <= 0 || (long) offset + length > dataOut.length) {
                        throw new ProtocolException("R2T for bytes outside the write data", p);
                    }
                    sendDataOut(tag, p.word(20), dataOut, offset, length);
                }
                case DATA_IN -> {
                    checkTag(p, tag);
                    int offset = p.word(40);
                    if (p.word(36) != expectDataSN++) {
                        throw new ProtocolException("DataSN out of order, expected " + (expectDataSN - 1), p);
                    }
                    if (offset < 0 || offset + p.data().length > dataIn.length) {
                        throw new ProtocolException("Data-In beyond the expected transfer length " + dataIn.length, p);
                    }
                    System.arraycopy(p.data(), 0, dataIn, offset, p.data().length);
                    received += p.data().length;
                    if ((p.flags() & 0x01) != 0) {
                        expStatSN = p.word(24) + 1;
                        maxCmdSN = p.word(32);
                        return new Result(p.byteAt(3), new byte[0], Arrays.copyOf(dataIn, received), p.word(44));
                    }
                }
                case SCSI_RSP -> {
                    checkTag(p, tag);
                    expStatSN = p.word(24) + 1;
                    maxCmdSN = p.word(32);
                    if (p.byteAt(2) != 0) {
                        throw new ProtocolException("SCSI Response with iSCSI response code " + p.byteAt(2), p);
                    }
                    byte[] sense = new byte[0];
                    if (p.data().length >= 2) {
                        int len = ByteBuffer.wrap(p.data()).getShort(0) & 0xffff;
                        sense = Arrays.copyOfRange(p.data(), 2, 2 + Math.min(len, p.data().length - 2));
                    }
                    return new Result(p.byteAt(3), sense, Arrays.copyOf(dataIn, received), p.word(44));
                }
                case REJECT -> throw new ProtocolException("command rejected with reason 0x" + Integer.toHexString(p.byteAt(2)), p);
                default -> throw new ProtocolException("unexpected PDU while waiting for itt 0x" + Integer.toHexString(tag), p);
            }
        }
    }

    /**
     * Sends a SCSI Command without waiting for it (its write data, if any, all as immediate data),
     * with a task attribute (1 SIMPLE, 2 ORDERED, 3 HEAD OF QUEUE); returns its tag. The caller reads
     * the answers with {@link #receive()}.
     */
    int submit(int lun, byte[] cdb, byte[] immediateData, int readLength, int attribute) throws IOException {
        int tag = itt++;
        byte[] bhs = new byte[BHS];
        ByteBuffer b = ByteBuffer.wrap(bhs);
        bhs[0] = SCSI_CMD;
        bhs[1] = (byte) (0x80 | (immediateData != null ? 0x20 : 0) | (readLength > 0 ? 0x40 : 0) | (attribute & 7));
        b.putLong(8, lunField(lun));
        b.putInt(16, tag);
        b.putInt(20, immediateData != null ? immediateData.length : readLength);
        b.putInt(24, cmdSN++);
        b.putInt(28, expStatSN);
        System.arraycopy(cdb, 0, bhs, 32, Math.min(16, cdb.length));
        send(bhs, immediateData == null ? new byte[0] : immediateData);
        return tag;
    }

    /** Notes the StatSN of a status PDU read with {@link #receive()} after {@link #submit}. */
    void statusSeen(Pdu p) {
        expStatSN = p.word(24) + 1;
    }

    private static void checkTag(Pdu p, int tag) throws ProtocolException {
        if (p.itt() != tag) {
            throw new ProtocolException("wrong ITT, expected 0x" + Integer.toHexString(tag), p);
        }
    }

    /** Answers an R2T: its bytes in Data-Out PDUs no larger than the target's MaxRecvDataSegmentLength. */
    private void sendDataOut(int tag, int ttt, byte[] data, int offset, int length) throws IOException {
        int dataSN = 0;
        for (int done = 0; done < length; ) {
            int n = Math.min(targetMaxRecv, length - done);
            byte[] bhs = new byte[BHS];
            ByteBuffer b = ByteBuffer.wrap(bhs);
            bhs[0] = DATA_OUT;
            bhs[1] = (byte) (done + n == length ? 0x80 : 0);
            b.putInt(16, tag);
            b.putInt(20, ttt);
            b.putInt(28, expStatSN);
            b.putInt(36, dataSN++);
            b.putInt(40, offset + done);
            send(bhs, Arrays.copyOfRange(data, offset + done, offset + done + n));
            done += n;
        }
    }

    /** TEST UNIT READY until no unit attention is pending (a new nexus starts with POWER ON, RESET). */
    void clearUnitAttentions() throws IOException {
        clearUnitAttentions(0);
    }

    void clearUnitAttentions(int lun) throws IOException {
        for (int i = 0; i < 8; i++) {
            Result r = command(lun, new byte[6], null, 0);
            if (r.good()) {
                return;
            }
            if (r.senseKey() != 6) {
                throw new ProtocolException("TEST UNIT READY failed: " + r, null);
            }
        }
        throw new ProtocolException("unit attentions never cleared", null);
    }

    /** Runs a command, retrying while it only reports a unit attention. */
    Result commandAfterUA(int lun, byte[] cdb, byte[] dataOut, int readLength) throws IOException {
        Result r = command(lun, cdb, dataOut, readLength);
        for (int i = 0; i < 8 && r.status() == CHECK_CONDITION && r.senseKey() == 6; i++) {
            r = command(lun, cdb, dataOut, readLength);
        }
        return r;
    }

    static byte[] read16(long lba, int blocks) {
        return rw16(0x88, lba, blocks);
    }

    static byte[] write16(long lba, int blocks) {
        return rw16(0x8a, lba, blocks);
    }

    private static byte[] rw16(int op, long lba, int blocks) {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.put(0, (byte) op).putLong(2, lba).putInt(10, blocks);
        return b.array();
    }

    static byte[] readCapacity16() {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.put(0, (byte) 0x9e).put(1, (byte) 0x10).putInt(10, 32);
        return b.array();
    }

    /** READ CAPACITY(16): {number of blocks, block length}. */
    long[] capacity() throws IOException {
        Result r = commandAfterUA(0, readCapacity16(), null, 32);
        if (!r.good() || r.data().length < 12) {
            throw new ProtocolException("READ CAPACITY(16) failed: " + r, null);
        }
        ByteBuffer b = ByteBuffer.wrap(r.data());
        return new long[] {b.getLong(0) + 1, b.getInt(8) & 0xffffffffL};
    }

    // ------------------------------------------------------------------ task management, NOP, logout

    /** Sends a task management request (RFC 7143 §11.5); returns the response code. */
    int taskManagement(int function, int lun, int referencedTag) throws IOException {
        int tag = itt++;
        byte[] bhs = new byte[BHS];
        ByteBuffer b = ByteBuffer.wrap(bhs);
        bhs[0] = (byte) (0x40 | TMF_REQ);
        bhs[1] = (byte) (0x80 | function);
        b.putLong(8, lunField(lun));
        b.putInt(16, tag);
        b.putInt(20, referencedTag);
        b.putInt(24, cmdSN);
        b.putInt(28, expStatSN);
        b.putInt(32, cmdSN);
        send(bhs, new byte[0]);
        Pdu p = receive();
        if (p.opcode() != TMF_RSP || p.itt() != tag) {
            throw new ProtocolException("expected the Task Management Response", p);
        }
        expStatSN = p.word(24) + 1;
        return p.byteAt(2);
    }

    /** An immediate NOP-Out ping; returns the NOP-In's echo of {@code payload}. */
    byte[] ping(byte[] payload) throws IOException {
        int tag = itt++;
        send(nopOut(tag, cmdSN, expStatSN), payload);
        Pdu p = receive();
        if (p.opcode() != NOP_IN || p.itt() != tag) {
            throw new ProtocolException("expected the NOP-In answering 0x" + Integer.toHexString(tag), p);
        }
        return p.data();
    }

    static byte[] nopOut(int tag, int cmdSN, int expStatSN) {
        byte[] bhs = new byte[BHS];
        ByteBuffer b = ByteBuffer.wrap(bhs);
        bhs[0] = (byte) (0x40 | NOP_OUT);
        bhs[1] = (byte) 0x80;
        b.putInt(16, tag);
        b.putInt(20, RESERVED);
        b.putInt(24, cmdSN);
        b.putInt(28, expStatSN);
        return bhs;
    }

    /** Logout (close the session) and wait for the response and the target's close. */
    void logout() throws IOException {
        int tag = itt++;
        byte[] bhs = new byte[BHS];
        ByteBuffer b = ByteBuffer.wrap(bhs);
        bhs[0] = (byte) (0x40 | LOGOUT_REQ);
        bhs[1] = (byte) 0x80;
        b.putInt(16, tag);
        b.putInt(24, cmdSN);
        b.putInt(28, expStatSN);
        send(bhs, new byte[0]);
        Pdu p = receive();
        if (p.opcode() != LOGOUT_RSP || p.byteAt(2) != 0) {
            throw new ProtocolException("logout failed", p);
        }
    }

    int nextItt() { return itt++; }

    int cmdSN() { return cmdSN; }

    int expStatSN() { return expStatSN; }

    // ------------------------------------------------------------------ raw PDUs

    /** Writes a header (48 bytes, or longer with an AHS) and a data segment padded to 4 bytes. */
    void send(byte[] header, byte[] data) throws IOException {
        byte[] h = header.clone();
        h[5] = (byte) (data.length >>> 16);
        h[6] = (byte) (data.length >>> 8);
        h[7] = (byte) data.length;
        int pad = (4 - data.length % 4) % 4;
        byte[] all = new byte[h.length + data.length + pad];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(data, 0, all, h.length, data.length);
        out.write(all);
        out.flush();
    }

    void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Reads the next PDU, answering target NOP-In pings (TTT set) and skipping asynchronous
     * messages on the way. Throws {@link EOFException} when the target closed the connection.
     */
    Pdu receive() throws IOException {
        while (true) {
            Pdu p = receiveRaw();
            if (p.opcode() == NOP_IN && p.word(20) != RESERVED) {
                byte[] bhs = nopOut(RESERVED, cmdSN, expStatSN);
                ByteBuffer.wrap(bhs).putInt(20, p.word(20));
                send(bhs, new byte[0]);
                continue;
            }
            if (p.opcode() == ASYNC) {
                continue;
            }
            return p;
        }
    }

    /** The next PDU exactly as it arrived. */
    Pdu receiveRaw() throws IOException {
        byte[] bhs = new byte[BHS];
        in.readFully(bhs);
        int ahs = (bhs[4] & 0xff) * 4;
        int length = (bhs[5] & 0xff) << 16 | (bhs[6] & 0xff) << 8 | (bhs[7] & 0xff);
        in.skipNBytes(ahs);
        byte[] data = new byte[length];
        in.readFully(data);
        in.skipNBytes((4 - length % 4) % 4);
        return new Pdu(bhs, data);
    }

    InputStream input() { return in; }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a socket we are done with
        }
    }
}
