package io.depot.engine.core;

import io.depot.engine.ScrubFinding;
import io.depot.engine.ScrubReference;
import io.depot.engine.ScrubStatus;
import io.depot.engine.ScrubStatus.Mode;
import io.depot.engine.ScrubStatus.State;
import io.depot.engine.VolumeOwner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Where a scrub is, as kept in the pool's catalog (namespace {@code scrub}, key {@code progress}): the
 * last mapping key it finished, its counters and findings. Saved as it goes (riding the next commit)
 * so a scrub resumes after a restart at the last saved key; what it did after that is done again.
 */
final class ScrubProgress {
    static final String KEY = "scrub/progress";
    private static final int VERSION = 1;

    State state = State.NEVER;
    Mode mode = Mode.SCRUB;
    /** The last {@code M} key finished, or null to start at the first. */
    byte[] lastKey;
    long clustersChecked;
    long bytesChecked;
    long clustersUnverified;
    long clustersUpgraded;
    long clustersTotal;
    long damagedBlocks;
    long bandwidth;
    Instant started;
    Instant ended;
    final List<ScrubFinding> findings = new ArrayList<>();

    synchronized ScrubStatus status() {
        return new ScrubStatus(state, mode, clustersChecked, bytesChecked, clustersUnverified, clustersUpgraded, clustersTotal,
                damagedBlocks, findings, bandwidth, started, ended);
    }

    synchronized void reset(Mode mode, long bandwidth, long total) {
        this.state = State.RUNNING;
        this.mode = mode;
        this.bandwidth = bandwidth;
        this.lastKey = null;
        clustersChecked = bytesChecked = clustersUnverified = clustersUpgraded = damagedBlocks = 0;
        clustersTotal = total;
        findings.clear();
        started = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        ended = null;
    }

    synchronized void finding(ScrubFinding f, long blocks) {
        damagedBlocks += blocks;
        if (findings.size() < ScrubStatus.MAX_FINDINGS) {
            findings.add(f);
        }
    }

    synchronized byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeUTF(state.name());
            out.writeUTF(mode.name());
            out.writeInt(lastKey == null ? -1 : lastKey.length);
            if (lastKey != null) {
                out.write(lastKey);
            }
            for (long n : new long[] {clustersChecked, bytesChecked, clustersUnverified, clustersUpgraded, clustersTotal, damagedBlocks,
                    bandwidth, started == null ? -1 : started.toEpochMilli(), ended == null ? -1 : ended.toEpochMilli()}) {
                out.writeLong(n);
            }
            out.writeInt(findings.size());
            for (ScrubFinding f : findings) {
                out.writeLong(f.physicalOffset());
                out.writeLong(f.length());
                out.writeInt(f.references().size());
                for (ScrubReference r : f.references()) {
                    out.writeUTF(r.volume());
                    out.writeUTF(String.valueOf(r.volumeUuid()));
                    out.writeInt(r.owner().kind().code());
                    out.writeUTF(r.owner().ref());
                    out.writeUTF(r.snapshot() == null ? "" : r.snapshot());
                    out.writeBoolean(r.snapshot() != null);
                    out.writeLong(r.offset());
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The progress stored as {@code raw}; a record of an unknown version reads as no scrub. */
    static ScrubProgress decode(byte[] raw) {
        ScrubProgress p = new ScrubProgress();
        if (raw == null) {
            return p;
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw));
            if (in.readByte() != VERSION) {
                return p;
            }
            p.state = State.valueOf(in.readUTF());
            p.mode = Mode.valueOf(in.readUTF());
            int keyLength = in.readInt();
            if (keyLength >= 0) {
                p.lastKey = in.readNBytes(keyLength);
            }
            p.clustersChecked = in.readLong();
            p.bytesChecked = in.readLong();
            p.clustersUnverified = in.readLong();
            p.clustersUpgraded = in.readLong();
            p.clustersTotal = in.readLong();
            p.damagedBlocks = in.readLong();
            p.bandwidth = in.readLong();
            long started = in.readLong();
            long ended = in.readLong();
            p.started = started < 0 ? null : Instant.ofEpochMilli(started);
            p.ended = ended < 0 ? null : Instant.ofEpochMilli(ended);
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                long at = in.readLong();
                long length = in.readLong();
                int refs = in.readInt();
                List<ScrubReference> list = new ArrayList<>(refs);
                for (int k = 0; k < refs; k++) {
                    String volume = in.readUTF();
                    String uuid = in.readUTF();
                    VolumeOwner owner = new VolumeOwner(VolumeOwner.Kind.ofCode(in.readInt()), in.readUTF());
                    String snapshot = in.readUTF();
                    boolean isSnapshot = in.readBoolean();
                    list.add(new ScrubReference(volume, "null".equals(uuid) ? null : UUID.fromString(uuid), owner,
                            isSnapshot ? snapshot : null, in.readLong()));
                }
                p.findings.add(new ScrubFinding(at, length, list));
            }
            return p;
        } catch (IOException | IllegalArgumentException e) {
            return new ScrubProgress();
        }
    }
}
