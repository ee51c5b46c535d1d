package io.depot.appliance.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a standard stream is a terminal. Java tells only whether stdin and stdout both are
 * ({@code System.console()}); the CLI needs each on its own (binary data never to a terminal, the
 * progress bar only on one), so it asks Linux where the descriptor points.
 */
final class Terminals {
    private Terminals() {}

    static final int STDIN = 0;
    static final int STDOUT = 1;
    static final int STDERR = 2;

    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
