package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.Sizes;
import picocli.CommandLine.Command;

/** {@code depot integrity}: the damaged data blocks the pool knows, with the volume, snapshot and offset of each. */
@Command(name = "integrity", mixinStandardHelpOptions = true,
        description = "List damaged data blocks (checksum mismatches) with their volume, snapshot and offset.")
public final class IntegrityCommand extends ApiCommand {
    @Override
    void run() {
        print(api().get("/integrity"), i -> {
            int damaged = i.path("damagedBlocks").asInt();
            out().println(damaged == 0 ? "No damaged data known."
                    : damaged + " damaged 4 KiB block(s): the pool is degraded. Restore or overwrite these ranges to clear them.");
            out().println("checksum errors since start: " + i.path("detections").asLong()
                    + "; unverified clusters (written before checksums): " + i.path("unverifiedClusters").asLong());
            if (damaged > 0) {
                Table t = new Table("VOLUME", "SNAPSHOT", "OFFSET", "FOUND BY", "DETECTED");
                for (JsonNode b : i.path("damage")) {
                    t.row(b.path("volume").asText(), text(b.get("snapshot")), offset(b.path("offset").asLong()),
                            b.path("foundBy").asText(), b.path("detected").asText());
                }
                t.print(out());
                int listed = i.path("damage").size();
                if (listed < damaged) {
                    out().println("(" + (damaged - listed) + " more not listed)");
                }
            }
            out().flush();
        });
    }

    /** A byte offset as operators read it: exact bytes, and where that is in the volume. */
    static String offset(long bytes) {
        return bytes + " (" + Sizes.format(bytes) + ")";
    }
}
