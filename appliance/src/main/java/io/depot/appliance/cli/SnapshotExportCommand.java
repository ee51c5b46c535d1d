package io.depot.appliance.cli;

import io.depot.appliance.Sizes;
import io.depot.appliance.backup.BackupReader;
import io.depot.appliance.backup.BackupStreamException;
import io.depot.appliance.backup.StreamHeader;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code depot snapshot export VOL@SNAP [--since VOL@OLDER] [-o FILE|-]}: the snapshot as a backup
 * stream (docs/backup-format.md). The CLI checks the stream as it passes (every record's checksum,
 * the trailer), so an export that broke off or arrived damaged fails here, with a non-zero exit,
 * instead of at restore time. A file is written under FILE.partial and renamed into place only
 * once the stream checked out.
 */
@Command(name = "export", description = "Write a snapshot as a backup stream: full, or with --since only what changed since "
        + "an older snapshot. To stdout (when it is not a terminal) or -o FILE.")
public final class SnapshotExportCommand extends ApiCommand {
    @Parameters(paramLabel = "VOLUME@SNAPSHOT") String source;
    @Option(names = "--since", paramLabel = "[VOLUME@]OLDER", description = "An older snapshot of the same volume: export an incremental stream.")
    String since;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write the stream ('-': stdout, the default).")
    String output;
    @Option(names = "--progress", negatable = true, description = "Show a progress bar on stderr (default: when stderr is a terminal).")
    Boolean progress;

    @Override
    void run() {
        String[] vs = volumeAtSnapshot(source);
        String query = "";
        if (since != null) {
            String[] old = since.contains("@") ? volumeAtSnapshot(since) : new String[] {vs[0], since};
            if (!old[0].equals(vs[0])) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--since must name a snapshot of the same volume ("
                        + vs[0] + "), not " + since);
            }
            query = "?since=" + ApiClient.seg(old[1]);
        }
        boolean toStdout = output == null || output.equals("-");
        if (output == null && Terminals.isTerminal(Terminals.STDOUT)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "refusing to write a binary backup stream to a terminal: "
                    + "use -o FILE, or redirect stdout");
        }
        Path file = toStdout ? null : Path.of(output);
        Path partial = toStdout ? null : file.resolveSibling(file.getFileName() + ".partial");
        HttpResponse<InputStream> r = api().stream("GET", SnapshotCommand.path(vs) + "/export" + query, null);
        long total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        Progress bar = Progress.of(progress != null ? progress : Terminals.isTerminal(Terminals.STDERR), "export " + source, total);
        StreamHeader header;
        BackupReader.Totals totals;
        try (InputStream body = r.body();
             OutputStream out = new BufferedOutputStream(toStdout ? new FileOutputStream(FileDescriptor.out) : open(partial), 1 << 16)) {
            BackupReader reader = new BackupReader(new ProgressInputStream(body, bar, out));
            header = reader.readHeader();
            totals = reader.readRecords(new BackupReader.Sink() {
                @Override
                public void data(long offset, java.nio.ByteBuffer payload) {}

                @Override
                public void zero(long offset, long length) {}
            });
        } catch (BackupStreamException e) {
            discard(partial);
            throw new CliException(ExitCodes.SERVER_ERROR, "the export of " + source + " arrived damaged: " + e.getMessage());
        } catch (IOException e) {
            discard(partial);
            throw new CliException(ExitCodes.SERVER_ERROR, "the export of " + source + " broke off (" + e.getMessage()
                    + "); the daemon's log says why (an export that meets damaged data is cut this way: see 'depot integrity')");
        }
        Progress.finish(bar);
        if (toStdout) {
            return; // stdout carries the stream: nothing else goes there
        }
        try {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot move " + partial + " to " + file + ": " + e.getMessage());
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("source", header.volumeName() + "@" + header.snapshotName());
        summary.put("incremental", header.incremental());
        summary.put("base", header.baseName());
        summary.put("file", file.toString());
        summary.put("records", totals.records());
        summary.put("dataBytes", totals.dataBytes());
        summary.put("zeroBytes", totals.zeroBytes());
        summary.put("streamBytes", totals.streamBytes());
        print(ApiClient.JSON.valueToTree(summary), x -> out().println("exported " + header.describe() + " to " + file + ": "
                + Sizes.format(totals.streamBytes()) + " (" + Sizes.format(totals.dataBytes()) + " of data, " + totals.records()
                + " records)"));
    }

    /** A backup holds a volume's whole content: the file is readable by its owner only (0600), whatever the umask. */
    private static OutputStream open(Path partial) {
        try {
            Files.deleteIfExists(partial); // a leftover from a broken run may have other permissions
            try {
                Files.createFile(partial, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(partial);
            }
            return Files.newOutputStream(partial);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot write " + partial + ": " + e.getMessage());
        }
    }

    private static void discard(Path partial) {
        if (partial != null) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // the message about the failed export matters more
            }
        }
    }
}
