package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code depot schedule create|list|show|delete|run}: retention schedules ("hourly, keep 24"). */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = "Snapshot schedules with retention: take a snapshot every interval, keep the newest N.",
        subcommands = {ScheduleCommand.Create.class, ScheduleCommand.List.class, ScheduleCommand.Show.class,
                ScheduleCommand.Delete.class, ScheduleCommand.Run.class})
public final class ScheduleCommand {
    static String path(String name) { return "/schedules/" + ApiClient.seg(name); }

    static void printSchedule(ApiCommand c, JsonNode s) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("schedule", s.path("name").asText());
        f.put("volumes", String.join(", ", VolumeCommand.strings(s.path("volumes"))));
        f.put("every", s.path("every").asText());
        f.put("keep", s.path("keep").asText());
        f.put("next run", ApiCommand.text(s.get("nextRun")));
        f.put("snapshots", s.path("snapshots").isEmpty() ? "-" : String.join(", ", VolumeCommand.strings(s.path("snapshots"))));
        JsonNode last = s.get("lastRun");
        if (last != null && !last.isNull()) {
            f.put("last run", last.path("at").asText() + (last.hasNonNull("error") ? " FAILED: " + last.get("error").asText() : ""));
            f.put("  took", list(last.path("taken")));
            f.put("  pruned", list(last.path("pruned")));
            last.path("held").forEach(h -> f.put("  kept " + h.path("snapshot").asText(), h.path("reason").asText()));
        }
        c.printFields(f);
    }

    private static String list(JsonNode a) {
        return a.isEmpty() ? "-" : String.join(", ", VolumeCommand.strings(a));
    }

    @Command(name = "create", description = "Schedule snapshots of a volume (several volumes: one consistency group).")
    static final class Create extends ApiCommand {
        @Parameters(paramLabel = "VOLUME", arity = "1..*") java.util.List<String> volumes;
        @Option(names = "--every", required = true, paramLabel = "INTERVAL",
                description = "hourly, daily, weekly (UTC boundaries), or 15m, 6h, 2d, 1w.") String every;
        @Option(names = "--keep", required = true, paramLabel = "N", description = "How many of its snapshots to keep.") int keep;
        @Option(names = "--name", paramLabel = "NAME", description = "Schedule name (default VOLUME-INTERVAL; required for several volumes).")
        String name;

        @Override
        void run() {
            var b = body().put("every", every).put("keep", keep);
            ArrayNode vs = b.putArray("volumes");
            volumes.forEach(vs::add);
            if (name != null) {
                b.put("name", name);
            }
            print(api().post("/schedules", b), s -> printSchedule(this, s));
        }
    }

    @Command(name = "list", description = "List schedules.")
    static final class List extends ApiCommand {
        @Override
        void run() {
            printList(api().get("/schedules"), new Table("SCHEDULE", "VOLUMES", "EVERY", "KEEP", "SNAPSHOTS", "NEXT RUN", "LAST RUN"),
                    s -> new Object[] {s.path("name").asText(), String.join(",", VolumeCommand.strings(s.path("volumes"))),
                        s.path("every").asText(), s.path("keep").asInt(), s.path("snapshots").size(), s.path("nextRun").asText(),
                        s.path("lastRun").isNull() || s.path("lastRun").isMissingNode() ? "-"
                                : s.path("lastRun").path("at").asText() + (s.path("lastRun").hasNonNull("error") ? " FAILED" : "")});
        }
    }

    @Command(name = "show", description = "Show a schedule, its snapshots and its last run.")
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "NAME") String name;

        @Override
        void run() {
            print(api().get(path(name)), s -> printSchedule(this, s));
        }
    }

    @Command(name = "delete", description = "Delete a schedule (the snapshots it took stay).")
    static final class Delete extends ApiCommand {
        @Parameters(paramLabel = "NAME") String name;

        @Override
        void run() {
            delete(path(name), "deleted schedule " + name + " (its snapshots stay)");
        }
    }

    @Command(name = "run", description = "Run a schedule now: take its snapshot, prune past its keep count.")
    static final class Run extends ApiCommand {
        @Parameters(paramLabel = "NAME") String name;

        @Override
        void run() {
            print(api().post(path(name) + "/run", body()), s -> printSchedule(this, s));
        }
    }
}
