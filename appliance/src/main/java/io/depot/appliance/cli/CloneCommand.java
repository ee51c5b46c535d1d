package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code depot clone VOL@SNAP NEW [--full]}. */
@Command(name = "clone", mixinStandardHelpOptions = true,
        description = "Clone a snapshot into a new writable volume: linked (shares unchanged data), or --full "
                + "(usable at once, made independent by a background job: see 'depot job').")
public final class CloneCommand extends ApiCommand {
    @Parameters(index = "0", paramLabel = "VOLUME@SNAPSHOT") String source;
    @Parameters(index = "1", paramLabel = "NEW_VOLUME") String name;
    @Option(names = "--full", description = "Copy everything in the background so the clone stops depending on the snapshot.")
    boolean full;

    @Override
    void run() {
        JsonNode r = api().post(SnapshotCommand.path(volumeAtSnapshot(source)) + "/clones", body().put("name", name).put("full", full));
        print(r, c -> {
            out().println((full ? "full" : "linked") + " clone " + c.path("volume").path("name").asText() + " of " + source + " created");
            if (c.hasNonNull("job")) {
                out().println("job " + c.get("job").asText() + " copies it in the background (depot job show "
                        + c.get("job").asText() + ")");
            }
        });
    }
}
