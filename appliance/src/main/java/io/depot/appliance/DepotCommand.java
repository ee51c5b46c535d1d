package io.depot.appliance;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code depot} command line: {@code depot serve} runs the daemon. */
@Command(name = "depot", mixinStandardHelpOptions = true, version = "Depot 0.1.0",
        description = "Storage appliance: thin volumes, snapshots and clones served over iSCSI and NFSv3.",
        subcommands = {ServeCommand.class})
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
        System.exit(new CommandLine(new DepotCommand()).execute(args));
    }
}
