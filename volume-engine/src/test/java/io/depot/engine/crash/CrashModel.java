package io.depot.engine.crash;

import io.depot.engine.Pool;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the crash pool may hold, derived only from the journals, and the check of a reopened pool
 * against it.
 *
 * <p>For every footprint sector of every volume the model knows the <em>settled</em> content: the write
 * (or zeros) the previous check observed there, which the checker's clean close made durable. A run's
 * journal then says, per sector, which operation was the last durable one (its <em>floor</em>); after
 * a crash a sector may hold the floor's data or that of any operation issued on it later (a torn write
 * tears at sector granularity), nothing else. Snapshots are exact: the worker quiesces a volume while
 * snapshotting it, so the journal says precisely which operations each snapshot contains.
 *
 * <p>Content is named by write id; 0 means zeros (never written, or unmapped).
 */
final class CrashModel {
    enum SnapshotStatus { BEING_CREATED, CREATED, BEING_DELETED, DELETED }

    /** A snapshot the journals created, with the content it must show. */
    static final class ExpectedSnapshot {
        final int volume;
        final String name;
        final long[] content;
        final String origin;
        SnapshotStatus status = SnapshotStatus.BEING_CREATED;

        ExpectedSnapshot(int volume, String name, long[] content, String origin) {
            this.volume = volume;
            this.name = name;
            this.content = content;
            this.origin = origin;
        }
    }

    /** What one run's journal allows, per volume and footprint sector. */
    static final class RunExpectation {
        final Journal journal;
        /** Id of the last durable operation on the sector (0: none in this run, the settled content stands). */
        final long[][] floorId = new long[CrashLayout.VOLUMES][CrashLayout.FOOTPRINT_SECTORS];
        /** The content the floor left: a write id or 0. */
        final long[][] floorContent = new long[CrashLayout.VOLUMES][];
        /** Id of the last unmap of the sector in this run (0: none). */
        final long[][] lastUnmap = new long[CrashLayout.VOLUMES][CrashLayout.FOOTPRINT_SECTORS];
        final Map<Long, Journal.Op> ops = new HashMap<>();

        RunExpectation(Journal journal) { this.journal = journal; }
    }

    private final long[][] settled = new long[CrashLayout.VOLUMES][CrashLayout.FOOTPRINT_SECTORS];
    private final Map<String, ExpectedSnapshot> snapshots = new LinkedHashMap<>();
    /** Every operation of every run, for failure messages. */
    private final Map<Long, String> history = new HashMap<>();
    private int run;

    private static String key(int volume, String name) { return volume + "@" + name; }

    /** Replays a run's journal over the settled state. */
    RunExpectation expect(Journal journal) {
        run++;
        RunExpectation e = new RunExpectation(journal);
        long[][] current = new long[CrashLayout.VOLUMES][];
        for (int v = 0; v < CrashLayout.VOLUMES; v++) {
            current[v] = settled[v].clone();
            e.floorContent[v] = settled[v].clone();
        }
        for (Journal.Record r : journal.records) {
            switch (r) {
                case Journal.Op op -> {
                    e.ops.put(op.id(), op);
                    history.put(op.id(), op + " of run " + run);
                    boolean durable = journal.isDurable(op.id());
                    long content = op.unmap() ? 0 : op.id();
                    for (long s = op.firstSector(); s < op.endSector(); s++) {
                        int f = CrashLayout.footprintIndex(s);
                        current[op.volume()][f] = content;
                        if (durable) {
                            e.floorId[op.volume()][f] = op.id();
                            e.floorContent[op.volume()][f] = content;
                        }
                        if (op.unmap()) {
                            e.lastUnmap[op.volume()][f] = op.id();
                        }
                    }
                }
                case Journal.SnapshotBegin b -> {
                    for (int v : b.volumes()) {
                        snapshots.put(key(v, b.name()), new ExpectedSnapshot(v, b.name(), current[v].clone(),
                                "taken in run " + run + " after the first " + b.covered() + " completions"));
                    }
                }
                case Journal.SnapshotDone d -> snapshots.values().stream().filter(s -> s.name.equals(d.name()))
                        .forEach(s -> s.status = SnapshotStatus.CREATED);
                case Journal.DeleteBegin b -> {
                    ExpectedSnapshot s = snapshots.get(key(b.volume(), b.name()));
                    if (s != null) {
                        s.status = SnapshotStatus.BEING_DELETED;
                    }
                }
                case Journal.DeleteDone d -> {
                    ExpectedSnapshot s = snapshots.get(key(d.volume(), d.name()));
                    if (s != null) {
                        s.status = SnapshotStatus.DELETED;
                    }
                }
            }
        }
        return e;
    }

    /**
     * Checks a reopened pool against a run's expectation; returns the problems (empty: all good) and,
     * when there are none, settles the observed state as the base of the next run.
     */
    List<String> check(Pool pool, RunExpectation e) {
        Problems problems = new Problems();
        long[][] observedHeads = new long[CrashLayout.VOLUMES][];
        for (int v = 0; v < CrashLayout.VOLUMES; v++) {
            Volume volume = pool.volume(CrashLayout.volumeName(v));
            int vol = v;
            String view = "head of volume " + v;
            observedHeads[v] = readView(volume::read, v, view, problems, (f, sector, who) -> headVerdict(e, vol, f, sector, who));
        }
        Map<String, Snapshot> present = new HashMap<>();
        for (int v = 0; v < CrashLayout.VOLUMES; v++) {
            for (Snapshot s : pool.volume(CrashLayout.volumeName(v)).snapshots()) {
                present.put(key(v, s.name()), s);
            }
        }
        for (Map.Entry<String, Snapshot> p : present.entrySet()) {
            ExpectedSnapshot x = snapshots.get(p.getKey());
            if (x == null) {
                problems.add("snapshot " + p.getKey() + " exists but no journal ever created it");
            } else if (x.status == SnapshotStatus.DELETED) {
                problems.add("snapshot " + p.getKey() + " still exists although its deletion returned");
            } else {
                String view = "snapshot " + x.volume + "@" + x.name + " (" + x.origin + ", " + x.status + ")";
                readView(p.getValue()::read, x.volume, view, problems, (f, sector, who) -> {
                    long expected = x.content[f];
                    return matches(who, expected, x.volume, sector) ? null
                            : "expected exactly " + describeContent(expected) + " (the last operation before the snapshot)";
                });
            }
        }
        for (ExpectedSnapshot x : snapshots.values()) {
            if (x.status == SnapshotStatus.CREATED && !present.containsKey(key(x.volume, x.name))) {
                problems.add("snapshot " + x.volume + "@" + x.name + " (" + x.origin + ") was created and never deleted, but is gone");
            }
        }
        if (problems.isEmpty()) {
            for (int v = 0; v < CrashLayout.VOLUMES; v++) {
                settled[v] = observedHeads[v];
            }
            snapshots.entrySet().removeIf(en -> !present.containsKey(en.getKey()));
            snapshots.values().forEach(s -> s.status = SnapshotStatus.CREATED);
        }
        return problems.list();
    }

    int liveSnapshots() { return snapshots.size(); }

    /** Why a head sector's content is not allowed, or null if it is. */
    private String headVerdict(RunExpectation e, int vol, int f, long sector, SectorPayload.Identity who) {
        long floorId = e.floorId[vol][f];
        long floorContent = e.floorContent[vol][f];
        if (matches(who, floorContent, vol, sector)) {
            return null;
        }
        if (who.kind() == SectorPayload.Identity.Kind.ZERO && e.lastUnmap[vol][f] > floorId) {
            return null;   // an unmap issued after the floor may have landed
        }
        if (who.kind() == SectorPayload.Identity.Kind.PAYLOAD && who.volume() == vol && who.sector() == sector
                && who.writeId() > floorId) {
            Journal.Op op = e.ops.get(who.writeId());
            if (op != null && !op.unmap() && op.covers(vol, sector)) {
                return null;   // a write issued after the floor may have landed
            }
        }
        StringBuilder why = new StringBuilder("expected ");
        if (floorId == 0) {
            why.append(describeContent(floorContent)).append(" (settled before this run; no durable operation on it in this run)");
        } else {
            why.append(describeContent(floorContent)).append(" (last durable: ").append(e.ops.get(floorId))
                    .append(", durable per ").append(e.journal.durableClaim).append(")");
        }
        List<String> later = new ArrayList<>();
        for (Journal.Op op : e.ops.values()) {
            if (op.id() > floorId && op.covers(vol, sector)) {
                later.add(op.toString());
            }
        }
        later.sort(null);
        why.append(later.isEmpty() ? ", and no later operation touched it" : " or one of the later " + later);
        return why.toString();
    }

    /** True if the sector holds {@code content} (a write id, or 0 for zeros) as written to this very place. */
    private static boolean matches(SectorPayload.Identity who, long content, int vol, long sector) {
        return content == 0 ? who.kind() == SectorPayload.Identity.Kind.ZERO
                : who.kind() == SectorPayload.Identity.Kind.PAYLOAD && who.writeId() == content
                        && who.volume() == vol && who.sector() == sector;
    }

    /** What a sector holds, relative to where it was read (so that a run of sectors shares one description). */
    private static String describeAt(SectorPayload.Identity who, int vol, long sector) {
        if (who.kind() != SectorPayload.Identity.Kind.PAYLOAD) {
            return who.describe();
        }
        if (who.volume() == vol && who.sector() == sector) {
            return "data of write " + who.writeId();
        }
        long shift = who.sector() - sector;
        return "write " + who.writeId() + "'s data meant for volume " + who.volume() + " "
                + Math.abs(shift) + " sectors " + (shift >= 0 ? "further on" : "earlier");
    }

    private String describeContent(long content) {
        return content == 0 ? "zeros" : "data of " + history.getOrDefault(content, "write " + content);
    }

    private interface Reader { void read(long offset, ByteBuffer dst); }

    private interface Verdict { String judge(int footprintIndex, long sector, SectorPayload.Identity who); }

    /** Reads are done in chunks of this size; a chunk outside the footprint is read one run in {@link #ZERO_SCAN_SLICES}. */
    private static final int CHUNK = 1 << 20;
    private static final int ZERO_SCAN_SLICES = 16;

    /**
     * Reads a view (a head or a snapshot): every footprint sector is judged by {@code verdict}; every
     * other sector read must be zeros. Chunks holding no footprint sector are read only one run in
     * {@value #ZERO_SCAN_SLICES} (a different slice each run), which keeps a check well under a second
     * while the whole of every long-lived view still gets scanned. Returns what each footprint sector
     * holds (write id or 0).
     */
    private long[] readView(Reader reader, int vol, String view, Problems problems, Verdict verdict) {
        long[] observed = new long[CrashLayout.FOOTPRINT_SECTORS];
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        for (long offset = 0; offset < CrashLayout.VOLUME_SIZE; offset += CHUNK) {
            boolean footprint = CrashLayout.touchesFootprint(offset, CHUNK);
            if (!footprint && (offset / CHUNK) % ZERO_SCAN_SLICES != run % ZERO_SCAN_SLICES) {
                continue;
            }
            buf.clear();
            reader.read(offset, buf);
            for (int at = 0; at < CHUNK; at += CrashLayout.SECTOR) {
                long sector = (offset + at) / CrashLayout.SECTOR;
                SectorPayload.Identity who = SectorPayload.identify(buf, at);
                int f = footprint ? CrashLayout.footprintIndex(sector) : -1;
                String why;
                if (f < 0) {
                    why = who.kind() == SectorPayload.Identity.Kind.ZERO ? null : "expected zeros (never written)";
                } else {
                    why = verdict.judge(f, sector, who);
                    observed[f] = who.kind() == SectorPayload.Identity.Kind.PAYLOAD ? who.writeId() : 0;
                }
                if (why != null) {
                    String stale = who.kind() == SectorPayload.Identity.Kind.PAYLOAD && history.containsKey(who.writeId())
                            ? " [" + history.get(who.writeId()) + "]" : "";
                    problems.addSector(view, sector, "holds " + describeAt(who, vol, sector) + stale + "; " + why);
                }
            }
        }
        return observed;
    }

    /**
     * Collects problems about sectors, merging runs of consecutive sectors of one view that share the
     * same explanation, and keeping the first few in full.
     */
    private static final class Problems {
        private static final int KEEP = 12;
        private final List<String> kept = new ArrayList<>();
        private int total;
        private String runView;
        private String runText;
        private long runFirst;
        private long runLast;

        void add(String p) {
            closeRun();
            record(p);
        }

        void addSector(String view, long sector, String text) {
            if (text.equals(runText) && view.equals(runView) && sector == runLast + 1) {
                runLast = sector;
                return;
            }
            closeRun();
            runView = view;
            runText = text;
            runFirst = runLast = sector;
        }

        private void closeRun() {
            if (runText != null) {
                String where = runFirst == runLast ? "sector " + runFirst : "sectors " + runFirst + ".." + runLast;
                record(runView + ", " + where + " (offset " + runFirst * CrashLayout.SECTOR + "): " + runText);
                runText = null;
            }
        }

        private void record(String p) {
            if (total++ < KEEP) {
                kept.add(p);
            }
        }

        boolean isEmpty() {
            closeRun();
            return total == 0;
        }

        List<String> list() {
            closeRun();
            List<String> out = new ArrayList<>(kept);
            if (total > KEEP) {
                out.add("... and " + (total - KEEP) + " more problems");
            }
            return out;
        }
    }
}
