package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.Sizes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code depot snapshot import [-i FILE|-] --volume NAME [--force]}: restores a backup stream. A
 * full stream makes the new volume NAME; an incremental applies onto NAME, which must be the volume
 * restored from the stream's base (its latest snapshot came from the base). The daemon verifies the
 * stream and undoes everything if it is damaged or cut short.
 */
@Command(name = "import", description = "Restore a backup stream: a full one into a new volume, an incremental onto the "
        + "volume restored from its base. From stdin (when it is not a terminal) or -i FILE.")
public final class SnapshotImportCommand extends ApiCommand {
    @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "The stream to read ('-': stdin, the default).")
    String input;
    @Option(names = "--volume", required = true, paramLabel = "NAME", description = "The volume to create (full stream) or update (incremental).")
    String volume;
    @Option(names = "--force", description = "Incremental: discard what was written on the volume since its base snapshot.")
    boolean force;
    @Option(names = "--progress", negatable = true, description = "Show a progress bar on stderr (default: when stderr is a terminal).")
    Boolean progress;

    @Override
    void run() {
        InputStream in;
        long total = -1;
        if (input == null || input.equals("-")) {
            if (Terminals.isTerminal(Terminals.STDIN)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "stdin is a terminal: give -i FILE, or pipe a "
                        + "backup stream in");
            }
            in = System.in;
        } else {
            Path file = Path.of(input);
            try {
                total = Files.size(file);
                in = Files.newInputStream(file);
            } catch (NoSuchFileException e) {
                throw new CliException(ExitCodes.USAGE, "no such file: " + input);
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "cannot read " + input + ": " + e.getMessage());
            }
        }
        Progress bar = Progress.of(progress != null ? progress : Terminals.isTerminal(Terminals.STDERR), "import " + volume, total);
        InputStream counted = new ProgressInputStream(new BufferedInputStream(in, 1 << 16), bar);
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofInputStream(() -> counted);
        if (total >= 0) {
            body = HttpRequest.BodyPublishers.fromPublisher(body, total);
        }
        JsonNode result;
        HttpResponse<InputStream> r = api().stream("POST", VolumeCommand.path(volume) + "/import" + (force ? "?force=true" : ""), body);
        try (InputStream answer = r.body()) {
            result = ApiClient.JSON.readTree(answer);
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "the daemon's answer to the import was cut off: " + e.getMessage());
        } finally {
            Progress.finish(bar);
        }
        print(result, x -> out().println("imported " + x.path("source").asText() + (x.path("incremental").asBoolean()
                ? " (incremental since " + x.path("base").asText() + ")" : " (full)") + " into volume "
                + x.path("volume").path("name").asText() + " as snapshot " + x.path("snapshot").path("name").asText() + ": "
                + Sizes.format(x.path("dataBytes").asLong()) + " of data"));
    }
}
