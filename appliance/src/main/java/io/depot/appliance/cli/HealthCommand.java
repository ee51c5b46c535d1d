package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code depot health}: is the daemon up (degraded, with the reason, while data is damaged), and where do its services listen. Needs no token (nor sends one). */
@Command(name = "health", mixinStandardHelpOptions = true, description = "Is the daemon up (ok, or degraded while data is damaged); where iSCSI and NFS listen (no token needed).")
public final class HealthCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String base = client.baseUrl();
        JsonNode h = new ApiClient(base, null, base.startsWith("https:") ? client.trusted(base) : null).get("/health");
        var out = spec.commandLine().getOut();
        if (client.json) {
            out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(h));
        } else {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("status", ApiCommand.text(h.get("status")) + (h.hasNonNull("reason") ? ": " + h.get("reason").asText() : ""));
            f.put("pool", ApiCommand.text(h.get("pool")));
            f.put("iSCSI", h.hasNonNull("iscsi") ? h.get("iscsi").asText() : "off");
            f.put("NFS", h.hasNonNull("nfs") ? h.get("nfs").asText() : "off");
            f.put("API", base);
            int w = 7;
            f.forEach((k, v) -> out.println(String.format("%-" + w + "s  %s", k + ":", v)));
            for (JsonNode b : h.path("damage")) {
                out.println(String.format("%-" + w + "s  %s", "damage:", describe(b)));
            }
            if (h.path("damagedBlocks").asInt() > h.path("damage").size()) {
                out.println(String.format("%-" + w + "s  %s", "", "... all of them: depot integrity"));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** One damaged block: where it was read through, at which byte. */
    private static String describe(JsonNode b) {
        String where = b.hasNonNull("snapshot") ? "snapshot " + b.path("volume").asText() + "@" + b.path("snapshot").asText()
                : "volume " + b.path("volume").asText();
        return where + " at offset " + IntegrityCommand.offset(b.path("offset").asLong()) + ", found by " + b.path("foundBy").asText();
    }
}
