package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code depot scrub start|status|cancel|resume|schedule}: verify every block of the pool against its checksum. */
@Command(name = "scrub", mixinStandardHelpOptions = true,
        description = "Read every allocated block once and verify its checksum; report damage with the volumes, snapshots, "
                + "NFS files and LUNs that read it.",
        subcommands = {ScrubCommand.Start.class, ScrubCommand.Status.class, ScrubCommand.Cancel.class, ScrubCommand.Resume.class,
                ScrubCommand.Schedule.class})
public final class ScrubCommand {
    /** Prints a scrub (or upgrade) report: counters, then each damaged extent and who reads it. */
    static void printReport(ApiCommand c, JsonNode r) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put(r.path("mode").asText("scrub").equals("upgrade") ? "upgrade" : "scrub", r.path("state").asText());
        long total = r.path("clustersTotal").asLong();
        long done = r.path("clustersChecked").asLong() + r.path("clustersUpgraded").asLong();
        f.put("clusters", done + " of " + total + (total > 0 ? String.format(" (%.0f%%)", Math.min(100.0, 100.0 * done / total)) : ""));
        f.put("checked", ApiCommand.size(r.get("bytesChecked")));
        if (r.path("mode").asText().equals("upgrade")) {
            f.put("upgraded", r.path("clustersUpgraded").asText() + " clusters");
        }
        f.put("unverified", r.path("unverifiedClusters").asText() + " clusters without checksums in the pool"
                + (r.path("unverifiedClusters").asLong() > 0 ? " (run 'depot pool upgrade')" : ""));
        f.put("bandwidth", r.path("bandwidth").asLong() == 0 ? "unlimited" : ApiCommand.size(r.get("bandwidth")) + "/s");
        f.put("started", ApiCommand.text(r.get("started")));
        f.put("ended", ApiCommand.text(r.get("ended")));
        f.put("duration", String.format("%.1f s", r.path("durationSeconds").asDouble()));
        f.put("damaged", r.path("damagedBlocks").asText() + " blocks of 4 KiB");
        c.printFields(f);
        for (JsonNode d : r.path("damaged")) {
            c.out().println("damaged extent: " + d.path("length").asLong() + " bytes at data file offset " + d.path("physicalOffset").asLong());
            if (d.path("readers").isEmpty()) {
                c.out().println("  (nothing reads it any more)");
            }
            for (JsonNode reader : d.path("readers")) {
                c.out().println("  " + describe(reader));
            }
        }
        c.out().flush();
    }

    static String describe(JsonNode reader) {
        StringBuilder s = new StringBuilder();
        String snapshot = reader.hasNonNull("snapshot") ? "@" + reader.get("snapshot").asText() : "";
        if (reader.hasNonNull("nfsPath")) {
            s.append("NFS file ").append(reader.get("nfsPath").asText()).append(snapshot).append(" (volume ")
                    .append(reader.path("volume").asText()).append(')');
        } else {
            s.append("volume ").append(reader.path("volume").asText()).append(snapshot);
        }
        s.append(" offset ").append(reader.path("offset").asLong());
        java.util.List<String> luns = new ArrayList<>();
        reader.path("luns").forEach(l -> luns.add(l.asText()));
        if (!luns.isEmpty()) {
            s.append(", LUN ").append(String.join(", ", luns));
        }
        return s.toString();
    }

    /** A request body with {@code bandwidth} (bytes/s) if {@code size} was given, else the server's default. */
    static com.fasterxml.jackson.databind.node.ObjectNode withBandwidth(ApiCommand c, String size) {
        var b = ApiCommand.body();
        if (size != null) {
            b.put("bandwidth", c.parseSize(size));
        }
        return b;
    }

    /** Polls until the scrub or upgrade has ended, printing nothing meanwhile. */
    static JsonNode awaitEnd(ApiCommand c, String path) {
        JsonNode r = c.api().get(path);
        while (r.path("state").asText().equals("running")) {
            try {
                Thread.sleep(1000);   // polling the daemon for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            r = c.api().get(path);
        }
        return r;
    }

    @Command(name = "start", description = "Start a scrub in the background (see 'depot scrub status').")
    static final class Start extends ApiCommand {
        @Option(names = "--bandwidth", paramLabel = "SIZE", description = "Read at most SIZE per second (e.g. 100M; 0: unlimited; "
                + "default 200M), so client I/O keeps its speed.") String bandwidth;
        @Option(names = "--wait", description = "Wait until it ends, then print the report.") boolean await;

        @Override
        void run() {
            JsonNode r = api().post("/scrub", withBandwidth(this, bandwidth));
            print(await ? awaitEnd(this, "/scrub") : r, s -> printReport(this, s));
        }
    }

    @Command(name = "status", description = "Show the running or last scrub and the damage it found.")
    static final class Status extends ApiCommand {
        @Override
        void run() {
            print(api().get("/scrub"), s -> printReport(this, s));
        }
    }

    @Command(name = "cancel", description = "Stop the running scrub or upgrade ('depot scrub resume' continues it).")
    static final class Cancel extends ApiCommand {
        @Override
        void run() {
            print(api().delete("/scrub"), s -> printReport(this, s));
        }
    }

    @Command(name = "resume", description = "Continue a cancelled or failed scrub or upgrade from where it stopped.")
    static final class Resume extends ApiCommand {
        @Override
        void run() {
            print(api().post("/scrub/resume", body()), s -> printReport(this, s));
        }
    }

    @Command(name = "schedule", mixinStandardHelpOptions = true, description = "The pool's scrub schedule (one per pool).",
            subcommands = {Schedule.Show.class, Schedule.Set.class, Schedule.Delete.class})
    static final class Schedule {
        static void printSchedule(ApiCommand c, JsonNode v) {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("every", v.path("every").asText());
            f.put("bandwidth", v.path("bandwidth").asLong() == 0 ? "unlimited" : ApiCommand.size(v.get("bandwidth")) + "/s");
            f.put("next run", ApiCommand.text(v.get("nextRun")));
            f.put("last run", v.hasNonNull("lastRunAt") ? v.get("lastRunAt").asText() + " (" + v.path("lastRunNote").asText() + ")" : "-");
            JsonNode last = v.get("lastScrub");
            f.put("last scrub", last == null || last.isNull() ? "-" : last.path("state").asText() + ", started "
                    + last.path("started").asText() + ", " + last.path("damagedBlocks").asText() + " damaged blocks");
            c.printFields(f);
        }

        @Command(name = "show", description = "Show the scrub schedule and its last run.")
        static final class Show extends ApiCommand {
            @Override
            void run() {
                print(api().get("/scrub/schedule"), v -> printSchedule(this, v));
            }
        }

        @Command(name = "set", description = "Scrub the pool every INTERVAL (replaces the schedule).")
        static final class Set extends ApiCommand {
            @Option(names = "--every", required = true, paramLabel = "INTERVAL",
                    description = "weekly, daily (on UTC boundaries: weekly is Monday 00:00), or 2w, 3d...") String every;
            @Option(names = "--bandwidth", paramLabel = "SIZE", description = "Bandwidth of the scheduled scrubs (default 200M).")
            String bandwidth;

            @Override
            void run() {
                print(api().put("/scrub/schedule", withBandwidth(this, bandwidth).put("every", every)), v -> printSchedule(this, v));
            }
        }

        @Command(name = "delete", description = "Remove the scrub schedule.")
        static final class Delete extends ApiCommand {
            @Override
            void run() {
                delete("/scrub/schedule", "scrub schedule removed");
            }
        }
    }
}
