package io.depot.appliance;

import io.depot.appliance.cli.CliException;
import io.depot.appliance.cli.CloneCommand;
import io.depot.appliance.cli.CompletionCommand;
import io.depot.appliance.cli.ExitCodes;
import io.depot.appliance.cli.IscsiCommand;
import io.depot.appliance.cli.HealthCommand;
import io.depot.appliance.cli.IntegrityCommand;
import io.depot.appliance.cli.JobCommand;
import io.depot.appliance.cli.NfsCommand;
import io.depot.appliance.cli.PoolCommand;
import io.depot.appliance.cli.ScheduleCommand;
import io.depot.appliance.cli.SnapshotCommand;
import io.depot.appliance.cli.VolumeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code depot} command line: {@code depot serve} runs the daemon; the other commands drive it
 * through its HTTP API. Exit codes: {@link ExitCodes} (docs/appliance.md).
 */
@Command(name = "depot", mixinStandardHelpOptions = true, version = "Depot 0.1.0",
        description = "Storage appliance: thin volumes, snapshots and clones served over iSCSI and NFSv3.",
        subcommands = {ServeCommand.class, PoolCommand.class, VolumeCommand.class, SnapshotCommand.class, CloneCommand.class,
                JobCommand.class, IscsiCommand.class, NfsCommand.class, HealthCommand.class,
                IntegrityCommand.class, ScheduleCommand.class, io.depot.appliance.cli.ScrubCommand.class, CompletionCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 usage or bad input, 2 not found, 3 conflict, 4 authentication, "
                + "5 API unreachable, 6 out of space, 7 server error."})
public final class DepotCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        // Netty samples buffers for leaks by default (about 1.5% of CPU on the iSCSI hot path); tests
        // run it at PARANOID instead. -Dio.netty.leakDetection.level=simple turns it back on.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        System.exit(commandLine().execute(args));
    }

    /** The command line with Depot's exit codes: usage errors exit 1, API failures by kind. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new DepotCommand());
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("depot: " + e.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, c.getErr())) {
                c.usage(c.getErr());
            }
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            if (e instanceof CliException ce) {
                c.getErr().println("depot: " + ce.getMessage());
                return ce.exitCode();
            }
            if (e instanceof CommandLine.ParameterException pe) {
                c.getErr().println("depot: " + pe.getMessage());
                return ExitCodes.USAGE;
            }
            throw e;
        });
        return cl;
    }
}
