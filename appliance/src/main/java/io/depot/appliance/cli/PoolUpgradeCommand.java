package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code depot pool upgrade [--status]}: gives the data a format-1 release wrote its checksums,
 * online (the same walk as a scrub, which also verifies what already has them).
 */
@Command(name = "upgrade", mixinStandardHelpOptions = true,
        description = "Checksum the data written before checksums existed (a format-1 pool), online; --status shows how far it is.")
public final class PoolUpgradeCommand extends ApiCommand {
    @Option(names = "--status", description = "Show the running or last upgrade instead of starting one.") boolean status;
    @Option(names = "--bandwidth", paramLabel = "SIZE", description = "Read at most SIZE per second (e.g. 100M; 0: unlimited; default 200M).")
    String bandwidth;
    @Option(names = "--wait", description = "Wait until it ends, then print the report.") boolean await;

    @Override
    void run() {
        JsonNode r;
        if (status) {
            r = api().get("/scrub");   // the upgrade is the scrub walk in upgrade mode
        } else {
            r = api().post("/pool/upgrade", ScrubCommand.withBandwidth(this, bandwidth));
        }
        print(await ? ScrubCommand.awaitEnd(this, "/scrub") : r, s -> ScrubCommand.printReport(this, s));
    }
}
