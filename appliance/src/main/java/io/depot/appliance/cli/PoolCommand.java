package io.depot.appliance.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code depot pool}: capacity and use. */
@Command(name = "pool", mixinStandardHelpOptions = true, description = "Show the pool's capacity, use and overcommit.",
        subcommands = {PoolUpgradeCommand.class})
public final class PoolCommand extends ApiCommand {
    @Override
    void run() {
        print(api().get("/pool"), p -> {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("pool", text(p.get("id")));
            f.put("capacity", size(p.get("capacity")));
            f.put("used", size(p.get("used")));
            f.put("free", size(p.get("free")));
            f.put("provisioned", size(p.get("provisioned")) + " (overcommit " + p.path("overcommit").asText() + "x)");
            f.put("cluster size", size(p.get("clusterSize")));
            f.put("volumes", text(p.get("volumes")));
            f.put("snapshots", text(p.get("snapshots")));
            printFields(f);
        });
    }
}
