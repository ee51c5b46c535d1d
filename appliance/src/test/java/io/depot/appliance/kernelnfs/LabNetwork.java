package io.depot.appliance.kernelnfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.depot.appliance.hypervisor.DatastoreLab;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The datastore network of hypervisor hosts that are QEMU guests: a named network namespace of its
 * own ({@code ip netns add depot-kc-RANDOM}), a bridge in it carrying the server's address
 * {@value DatastoreLab#DATASTORE_IP}, and one tap device per guest attached to the bridge. The
 * guests' kernels talk to the server as real hosts do, both ways: the server's portmapper owns port
 * 111 here, and it can call back into a guest (NLM_GRANTED, SM_NOTIFY), which slirp would not allow.
 */
final class LabNetwork implements AutoCloseable {
    static final String BRIDGE = "br0";

    private final String name;
    private final List<String> taps = new ArrayList<>();
    /** Removes the namespace if the test JVM is stopped (SIGTERM, Ctrl-C) before the class ends. */
    private final Thread cleanup;

    private LabNetwork(String name) {
        this.name = name;
        this.cleanup = new Thread(() -> {
            try {
                new ProcessBuilder("ip", "netns", "del", name).start().waitFor(10, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                // the JVM is going away: nothing left to tell
            }
        }, "remove-" + name);
    }

    /** Creates the namespace, its loopback and the bridge, and {@code guests} taps named tap0, tap1, ... */
    static LabNetwork create(int guests) throws IOException, InterruptedException {
        LabNetwork net = new LabNetwork("depot-kc-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
        ip("netns", "add", net.name);
        Runtime.getRuntime().addShutdownHook(net.cleanup);
        try {
            net.inside("ip", "link", "set", "lo", "up");
            net.inside("ip", "link", "add", BRIDGE, "type", "bridge");
            net.inside("ip", "addr", "add", DatastoreLab.DATASTORE_IP + "/24", "dev", BRIDGE);
            net.inside("ip", "link", "set", BRIDGE, "up");
            for (int i = 0; i < guests; i++) {
                String tap = "tap" + i;
                net.inside("ip", "tuntap", "add", "dev", tap, "mode", "tap");
                net.inside("ip", "link", "set", tap, "master", BRIDGE);
                net.inside("ip", "link", "set", tap, "up");
                net.taps.add(tap);
            }
        } catch (IOException | InterruptedException | AssertionError e) {
            net.close();
            throw e;
        }
        return net;
    }

    String name() { return name; }

    /** The tap device of guest {@code i}. */
    String tap(int i) { return taps.get(i); }

    private void inside(String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("netns", "exec", name));
        c.addAll(List.of(command));
        ip(c.toArray(String[]::new));
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip"));
        c.addAll(List.of(args));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(true, p.waitFor(30, TimeUnit.SECONDS), String.join(" ", c) + " hung");
        assertEquals(0, p.exitValue(), () -> String.join(" ", c) + " failed (needs root, iproute2 and /dev/net/tun): " + out);
    }

    /** Removes the namespace with its bridge and taps (processes still inside keep only their sockets). */
    @Override
    public void close() throws IOException, InterruptedException {
        Runtime.getRuntime().removeShutdownHook(cleanup);
        ip("netns", "del", name);
    }
}
