package io.depot.appliance.hypervisor;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The QEMU Machine Protocol on a Unix socket: JSON objects, one per line. Commands are answered
 * in order ({@code return} or {@code error}); events ({@code event}) arrive in between and are kept
 * for {@link #awaitEvent}.
 */
final class Qmp {
    private final SocketChannel channel;
    private final Supplier<String> diagnostics;
    private final Deque<JsonNode> answers = new ArrayDeque<>();
    private final List<JsonNode> events = new ArrayList<>();
    private boolean closed;

    Qmp(SocketChannel channel, Supplier<String> diagnostics) {
        this.channel = channel;
        this.diagnostics = diagnostics;
        Thread t = new Thread(this::readLoop, "qmp");
        t.setDaemon(true);
        t.start();
    }

    private void readLoop() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                JsonNode msg = DatastoreLab.JSON.readTree(line);
                synchronized (this) {
                    if (msg.has("event")) {
                        events.add(msg);
                    } else if (!msg.has("QMP")) {   // the greeting
                        answers.add(msg);
                    }
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // QEMU went away
        }
        synchronized (this) {
            closed = true;
            notifyAll();
        }
    }

    /** Runs a command and returns its {@code return} value; an {@code error} fails the test. */
    synchronized JsonNode execute(String command, ObjectNode arguments) throws InterruptedException {
        ObjectNode req = DatastoreLab.JSON.createObjectNode().put("execute", command);
        if (arguments != null) {
            req.set("arguments", arguments);
        }
        try {
            channel.write(ByteBuffer.wrap((req + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("QMP " + command + ": " + diagnostics.get(), e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (answers.isEmpty()) {
            if (closed) {
                if ("quit".equals(command)) {
                    return null;
                }
                fail("QEMU closed QMP before answering " + command + "\n" + diagnostics.get());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no QMP answer to " + command + " within 60 s\n" + diagnostics.get());
            }
            wait(Math.max(1, left / 1_000_000));
        }
        JsonNode a = answers.poll();
        if (a.has("error")) {
            fail("QMP " + req + " failed: " + a.get("error") + "\n" + diagnostics.get());
        }
        return a.get("return");
    }

    JsonNode execute(String command) throws InterruptedException {
        return execute(command, null);
    }

    /** Waits for an event of that name whose data satisfies the predicate (events since the connection count). */
    synchronized JsonNode awaitEvent(String name, Predicate<JsonNode> data, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; ; ) {
            for (; i < events.size(); i++) {
                JsonNode e = events.get(i);
                if (name.equals(e.path("event").asText()) && data.test(e.path("data"))) {
                    return e;
                }
            }
            if (closed) {
                fail("QEMU closed QMP while we waited for the event " + name + "; events: " + events + "\n" + diagnostics.get());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no QMP event " + name + " within " + timeout.toSeconds() + " s; events: " + events + "\n" + diagnostics.get());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    synchronized List<JsonNode> events() { return List.copyOf(events); }
}
