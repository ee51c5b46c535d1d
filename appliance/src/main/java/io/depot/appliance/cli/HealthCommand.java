package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code depot health}: is the daemon up, and where do its services listen. Needs no token (nor sends one). */
@Command(name = "health", mixinStandardHelpOptions = true, description = "Is the daemon up; where iSCSI and NFS listen (no token needed).")
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
            f.put("status", ApiCommand.text(h.get("status")));
            f.put("pool", ApiCommand.text(h.get("pool")));
            f.put("iSCSI", h.hasNonNull("iscsi") ? h.get("iscsi").asText() : "off");
            f.put("NFS", h.hasNonNull("nfs") ? h.get("nfs").asText() : "off");
            f.put("API", base);
            int w = 7;
            f.forEach((k, v) -> out.println(String.format("%-" + w + "s  %s", k + ":", v)));
        }
        out.flush();
        return ExitCodes.OK;
    }
}
