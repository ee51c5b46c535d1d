package io.depot.appliance.schedule;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.CatalogNamespace;
import io.depot.engine.DependentClonesException;
import io.depot.engine.NoSuchSnapshotException;
import io.depot.engine.NoSuchVolumeException;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention schedules ("hourly, keep 24"): kept in the pool's catalog (namespace {@value #NAMESPACE}), run by {@link ScheduleRunner}
 * in the daemon or on demand. A run takes one snapshot per volume (one consistency group for several),
 * named {@code <schedule>-<yyyyMMdd'T'HHmmss'Z'>} in UTC, then deletes the schedule's own oldest
 * snapshots beyond its keep count. It never deletes a snapshot it did not take, nor one that is
 * served on a LUN or has linked clones: those are reported as held and retried at the next run.
 * Every run and every change goes through the appliance's change lock. Time is always passed in,
 * so tests drive it with a clock of their own.
 */
public final class Scheduler {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
    /** The catalog namespace of the schedules: one JSON record per schedule, keyed by its name. */
    private static final String NAMESPACE = "schedule";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final int MAX_KEEP = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Appliance appliance;

    public Scheduler(Appliance appliance) {
        this.appliance = appliance;
    }

    /**
     * Makes a schedule; its first run is at the next slot boundary after {@code now}. {@code name} may
     * be null for one volume: it is then "{volume}-{every}".
     */
    public Schedule create(String name, List<String> volumeNames, String every, int keep, Instant now) throws Exception {
        if (volumeNames == null || volumeNames.isEmpty()) {
            throw bad("name at least one volume");
        }
        if (new LinkedHashSet<>(volumeNames).size() != volumeNames.size()) {
            throw bad("a volume is named twice");
        }
        Interval interval;
        try {
            interval = Interval.parse(every);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        if (keep < 1 || keep > MAX_KEEP) {
            throw bad("keep must be between 1 and " + MAX_KEEP + ", not " + keep);
        }
        if (name == null) {
            if (volumeNames.size() > 1) {
                throw bad("a schedule of several volumes (a consistency group) needs a name");
            }
            name = volumeNames.get(0) + "-" + interval.text();
        }
        if (!NAME.matcher(name).matches()) {
            throw bad("invalid schedule name '" + name + "': use 1-64 letters, digits, '.', '_' or '-', not starting with '.'");
        }
        String n = name;
        return appliance.mutate(() -> {
            if (stored().get(n) != null) {
                throw new ScheduleException(ScheduleException.Kind.NAME_IN_USE, "a schedule named '" + n + "' already exists");
            }
            List<UUID> ids = new ArrayList<>();
            for (String v : volumeNames) {
                ids.add(appliance.pool().volume(v).uuid());
            }
            Schedule s = new Schedule(n, ids, List.copyOf(volumeNames), interval.text(), interval.seconds(), keep, now.toString(),
                    interval.slot(now), List.of(), null);
            save(s);
            log.info("schedule {} created: {} every {}, keep {}", n, volumeNames, interval.text(), keep);
            return s;
        });
    }

    /** Every schedule, by name. */
    public List<Schedule> list() {
        List<Schedule> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : stored().list("").entrySet()) {
            out.add(decode(NAMESPACE + "/" + e.getKey(), e.getValue()));
        }
        return out;
    }

    public Schedule get(String name) {
        byte[] v = stored().get(name);
        if (v == null) {
            throw new ScheduleException(ScheduleException.Kind.NOT_FOUND, "no schedule named '" + name + "'");
        }
        return decode(NAMESPACE + "/" + name, v);
    }

    /** Deletes the schedule; the snapshots it took stay (they are then like snapshots taken by hand). */
    public void delete(String name) throws Exception {
        appliance.mutate(() -> {
            get(name);
            stored().delete(name);
            log.info("schedule {} deleted; its snapshots stay", name);
            return null;
        });
    }

    /** Runs every schedule whose next slot has begun at {@code now}; a schedule that missed several slots runs once. */
    public List<RunReport> runDue(Instant now) throws Exception {
        List<RunReport> out = new ArrayList<>();
        for (Schedule s : list()) {
            if (s.interval().slot(now) > s.lastSlot()) {
                try {
                    RunReport r = run(s.name(), now, false);
                    if (r != null) {
                        out.add(r);
                    }
                } catch (ScheduleException deletedMeanwhile) {
                    // deleted through the API since list(): nothing to run
                }
            }
        }
        return out;
    }

    /** The earliest next run of any schedule, or null when there is none. */
    public Instant nextDue() {
        return list().stream().map(Schedule::nextRun).min(Instant::compareTo).orElse(null);
    }

    /** Runs one schedule now, due or not (the slot of {@code now} then counts as done). */
    public RunReport run(String name, Instant now) throws Exception {
        return run(name, now, true);
    }

    /** Unless {@code force}, does nothing (null) when the slot of {@code now} has run already (a forced run got there first). */
    private RunReport run(String name, Instant now, boolean force) throws Exception {
        return appliance.mutate(() -> {
            Schedule s = get(name);
            if (!force && s.interval().slot(now) <= s.lastSlot()) {
                return null;
            }
            List<String> taken = new ArrayList<>();
            List<String> pruned = new ArrayList<>();
            List<RunReport.Held> held = new ArrayList<>();
            List<Schedule.Taken> still = new ArrayList<>(s.taken());
            String error = null;
            try {
                List<Volume> volumes = new ArrayList<>();
                for (int i = 0; i < s.volumes().size(); i++) {
                    try {
                        volumes.add(appliance.pool().volume(s.volumes().get(i)));
                    } catch (NoSuchVolumeException e) {
                        throw new IllegalStateException("volume " + s.volumeNames().get(i) + " (" + s.volumes().get(i)
                                + ") no longer exists; delete this schedule");
                    }
                }
                String snapName = freeName(s.name() + "-" + STAMP.format(now), volumes);
                List<Snapshot> made = volumes.size() == 1 ? List.of(volumes.get(0).createSnapshot(snapName))
                        : appliance.pool().snapshotGroup(snapName, volumes.toArray(Volume[]::new));
                for (Snapshot snap : made) {
                    still.add(new Schedule.Taken(snap.volume().uuid(), snap.uuid(), snap.name()));
                    taken.add(snap.toString());
                }
                for (Volume v : volumes) {
                    prune(s, v, still, pruned, held);
                }
            } catch (RuntimeException e) {
                error = e.getMessage();
                log.error("schedule {} failed: {}", s.name(), error);
            }
            RunReport report = new RunReport(now.toString(), taken, pruned, held, error);
            save(s.withRun(s.interval().slot(now), still, report));
            if (error == null) {
                log.info("schedule {}: took {}, pruned {}{}", s.name(), taken, pruned, held.isEmpty() ? "" : ", held " + held);
            }
            return report;
        });
    }

    /** Deletes the oldest of the schedule's snapshots of {@code v} past its keep count, unless something needs them. */
    private void prune(Schedule s, Volume v, List<Schedule.Taken> still, List<String> pruned, List<RunReport.Held> held) {
        Set<UUID> live = new LinkedHashSet<>();
        v.snapshots().forEach(x -> live.add(x.uuid()));
        // forget what was deleted by hand
        still.removeIf(t -> t.volume().equals(v.uuid()) && !live.contains(t.snapshot()));
        List<Schedule.Taken> mine = still.stream().filter(t -> t.volume().equals(v.uuid())).toList();
        for (Schedule.Taken t : mine.subList(0, Math.max(0, mine.size() - s.keep()))) {
            Snapshot snap = v.snapshots().stream().filter(x -> x.uuid().equals(t.snapshot())).findFirst().orElse(null);
            if (snap == null) {
                still.remove(t);
                continue;
            }
            List<String> luns = appliance.lunsOf(v.uuid(), snap.uuid());
            if (!luns.isEmpty()) {
                held.add(new RunReport.Held(snap.toString(), "served at iSCSI LUN(s) " + luns));
                continue;
            }
            try {
                snap.delete();
                still.remove(t);
                pruned.add(snap.toString());
            } catch (DependentClonesException e) {
                held.add(new RunReport.Held(snap.toString(), e.getMessage()));
            } catch (NoSuchSnapshotException e) {
                still.remove(t);
            }
        }
        for (RunReport.Held h : held) {
            log.warn("schedule {} keeps {} past its keep count of {}: {}", s.name(), h.snapshot(), s.keep(), h.reason());
        }
    }

    /** {@code base}, or base-2, base-3... if a volume already has a snapshot of that name (two runs in one second). */
    private static String freeName(String base, List<Volume> volumes) {
        Set<String> used = new LinkedHashSet<>();
        volumes.forEach(v -> v.snapshots().forEach(s -> used.add(s.name())));
        String name = base;
        for (int i = 2; used.contains(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }

    private CatalogNamespace<byte[]> stored() { return appliance.pool().catalog().namespace(NAMESPACE); }

    private void save(Schedule s) {
        try {
            stored().put(s.name(), JSON.writeValueAsBytes(s));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Schedule decode(String key, byte[] value) {
        try {
            return JSON.readValue(value, Schedule.class);
        } catch (IOException e) {
            throw new UncheckedIOException("the stored schedule " + key + " is unreadable", e);
        }
    }

    private static ScheduleException bad(String message) {
        return new ScheduleException(ScheduleException.Kind.BAD_INPUT, message);
    }
}
