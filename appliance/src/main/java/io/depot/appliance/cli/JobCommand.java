package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code depot job list|show|cancel}. */
@Command(name = "job", mixinStandardHelpOptions = true, description = "Background jobs (the copy behind a full clone).",
        subcommands = {JobCommand.List.class, JobCommand.Show.class, JobCommand.Cancel.class})
public final class JobCommand {
    static String percent(JsonNode j) {
        return String.format(Locale.ROOT, "%.1f%%", j.path("progress").asDouble() * 100);
    }

    static void printJob(ApiCommand c, JsonNode j) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("job", ApiCommand.text(j.get("id")));
        f.put("kind", ApiCommand.text(j.get("kind")));
        f.put("volume", ApiCommand.text(j.get("volume")));
        f.put("state", ApiCommand.text(j.get("state")));
        f.put("progress", percent(j) + " (" + j.path("doneClusters").asLong() + " of "
                + (j.path("totalClusters").asLong() < 0 ? "?" : j.path("totalClusters").asLong()) + " clusters)");
        f.put("error", ApiCommand.text(j.get("error")));
        c.printFields(f);
    }

    @Command(name = "list", description = "List jobs, running and ended.")
    static final class List extends ApiCommand {
        @Override
        void run() {
            printList(api().get("/jobs"), new Table("JOB", "KIND", "VOLUME", "STATE", "PROGRESS"),
                    j -> new Object[] {j.path("id").asText(), j.path("kind").asText(), j.path("volume").asText(),
                        j.path("state").asText(), percent(j)});
        }
    }

    @Command(name = "show", description = "Show a job's progress (by id, or by the clone's volume name).")
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "JOB") String id;

        @Override
        void run() {
            print(api().get("/jobs/" + ApiClient.seg(id)), j -> printJob(this, j));
        }
    }

    @Command(name = "cancel", description = "Stop a job; a full clone stays a working linked clone.")
    static final class Cancel extends ApiCommand {
        @Parameters(paramLabel = "JOB") String id;

        @Override
        void run() {
            print(api().delete("/jobs/" + ApiClient.seg(id)), j -> out().println("cancelled job " + id));
        }
    }
}
