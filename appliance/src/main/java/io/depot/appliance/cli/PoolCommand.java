package io.depot.appliance.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code depot pool}: capacity and use, and how much data is damaged or not yet checksummed; {@code depot pool upgrade}. */
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
            int damaged = p.path("damagedBlocks").asInt();
            f.put("damaged blocks", damaged == 0 ? "0" : damaged + " (degraded: see 'depot integrity')");
            f.put("unverified", text(p.get("unverifiedClusters")) + " clusters (written before checksums)");
            printFields(f);
        });
    }
}
