package io.depot.appliance.hypervisor;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest's serial console (QEMU's {@code -serial} on a Unix socket we listen on): every line it
 * prints is kept (and copied to a log file); the test waits for lines, never for time. A line
 * {@code DEPOT-GUEST FAIL ...} or the end of the stream fails a waiting test at once, with the
 * transcript and what QEMU printed.
 */
public final class SerialConsole {
    static final Pattern WROTE = Pattern.compile("DEPOT-GUEST WROTE (\\d+)$");

    private final SocketChannel channel;
    private final Writer log;
    private final Supplier<String> diagnostics;
    private final List<String> lines = new ArrayList<>();
    private boolean closed;
    private int acknowledged;

    public SerialConsole(SocketChannel channel, Path logFile, Supplier<String> diagnostics) throws IOException {
        this.channel = channel;
        this.log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        this.diagnostics = diagnostics;
        Thread t = new Thread(this::readLoop, "serial-" + logFile.getFileName());
        t.setDaemon(true);
        t.start();
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        StringBuilder line = new StringBuilder();
        try {
            while (channel.read(buf.clear()) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    char c = (char) (buf.get() & 0xff);
                    if (c == '\n') {
                        add(line.toString());
                        line.setLength(0);
                    } else if (c != '\r') {
                        line.append(c);
                    }
                }
            }
        } catch (IOException e) {
            // the QEMU process went away: same as the end of the stream
        }
        synchronized (this) {
            if (!line.isEmpty()) {
                add(line.toString());
            }
            closed = true;
            notifyAll();
        }
        try {
            log.close();
        } catch (IOException ignored) {
            // only a copy for humans
        }
    }

    private synchronized void add(String l) {
        lines.add(l);
        Matcher m = WROTE.matcher(l);
        if (m.find()) {   // find: a kernel message may share the line
            acknowledged = Math.max(acknowledged, Integer.parseInt(m.group(1)) + 1);
        }
        try {
            log.write(l + "\n");
            log.flush();
        } catch (IOException ignored) {
            // only a copy for humans
        }
        notifyAll();
    }

    /** How many blocks the guest has reported written and flushed so far on this console (0..n-1). */
    synchronized int acknowledged() { return acknowledged; }

    /** Lines printed so far. */
    public synchronized int lineCount() { return lines.size(); }

    public synchronized List<String> lines() { return List.copyOf(lines); }

    /** Waits for the first line from index {@code from} on that contains a match (a kernel message may share the line). */
    public synchronized Matcher await(Pattern p, int from, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = from; ; ) {
            for (; i < lines.size(); i++) {
                String l = lines.get(i);
                Matcher m = p.matcher(l);
                if (m.find()) {
                    return m;
                }
                if (l.contains("DEPOT-GUEST FAIL")) {
                    fail("the guest failed while we waited for /" + p + "/: " + l + "\n" + transcript());
                }
            }
            if (closed) {
                fail("the guest's console closed while we waited for /" + p + "/\n" + transcript());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no /" + p + "/ on the guest's console within " + timeout.toSeconds() + " s\n" + transcript());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    public Matcher await(String regex, Duration timeout) throws InterruptedException {
        return await(Pattern.compile(regex), 0, timeout);
    }

    /** Waits until the guest has acknowledged at least {@code blocks} blocks. */
    synchronized void awaitAcknowledged(int blocks, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acknowledged < blocks) {
            String failed = lines.stream().filter(l -> l.contains("DEPOT-GUEST FAIL")).findFirst().orElse(null);
            if (failed != null) {
                fail("the guest failed while we waited for " + blocks + " blocks: " + failed + "\n" + transcript());
            }
            if (closed) {
                fail("the guest's console closed while we waited for " + blocks + " blocks\n" + transcript());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("the guest acknowledged " + acknowledged + " blocks, not " + blocks + ", within " + timeout.toSeconds() + " s\n" + transcript());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Sends a line to the guest (the writer stops at any line). */
    public void send(String line) {
        try {
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized String transcript() {
        List<String> tail = lines.subList(Math.max(0, lines.size() - 60), lines.size());
        return "== console (last " + tail.size() + " of " + lines.size() + " lines)\n" + String.join("\n", tail) + "\n" + diagnostics.get();
    }

    public void close() throws IOException {
        channel.close();
    }
}
