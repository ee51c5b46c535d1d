package io.depot.appliance.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private network namespace that plays the datastore network: the Depot server ({@link
 * DatastoreServerMain}) listens there on its standard ports (the portmapper on 111 is ours, which
 * QEMU's nfs:// driver insists on), and every hypervisor process (QEMU, qemu-img) is started inside
 * it with {@code nsenter}. Loopback carries two addresses: {@value #DATASTORE_IP}, the datastore
 * network the NFS export admits (a host connecting to it is seen as that address), and 127.0.0.1,
 * which the export does not admit. The namespace lives as long as a holder process ({@code unshare
 * ... cat}) whose input is ours: it ends with the test JVM at the latest. {@link #startIn} uses a
 * named namespace ({@code ip netns add}) that the caller made and removes instead.
 */
public final class DatastoreLab implements AutoCloseable {
    public static final String DATASTORE_IP = "10.9.0.1";
    static final String OUTSIDE_IP = "127.0.0.1";
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Process holder;
    private final String netns;
    private Server server;

    private DatastoreLab(Path dir, Process holder, String netns) {
        this.dir = dir;
        this.holder = holder;
        this.netns = netns;
    }

    static DatastoreLab start(Path dir) throws Exception {
        Process holder = new ProcessBuilder("unshare", "-n", "sh", "-c",
                "ip link set lo up && ip addr add " + DATASTORE_IP + "/24 dev lo && echo UP && exec cat > /dev/null")
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        assertEquals("UP", first, "cannot make the lab's network namespace (needs root: unshare -n, iproute2)");
        DatastoreLab lab = new DatastoreLab(dir, holder, "/proc/" + holder.pid() + "/ns/net");
        lab.startServer();
        return lab;
    }

    /**
     * The server in the named network namespace {@code name} (made with {@code ip netns add}, whose
     * loopback is up and which has {@value #DATASTORE_IP} on an interface); the caller removes it.
     */
    public static DatastoreLab startIn(Path dir, String name) throws Exception {
        DatastoreLab lab = new DatastoreLab(dir, null, "/run/netns/" + name);
        lab.startServer();
        return lab;
    }

    /**
     * The command, run inside the lab's network namespace. It gets SIGKILL if the test JVM dies
     * (setpriv --pdeathsig), so no QEMU or server outlives a crashed run.
     */
    public List<String> inside(List<String> command) {
        List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--",
                "setpriv", "--pdeathsig", "KILL", "--"));
        c.addAll(command);
        return c;
    }

    public Path dir() { return dir; }

    public Server server() { return server; }

    /** Starts the server on the lab's data directory (created at the first start). */
    public void startServer() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("server.log");
        // its log goes to standard error (the log file), its standard output carries only answers
        Path logback = dir.resolve("server-logback.xml");
        Files.writeString(logback, """
                <configuration>
                  <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
                    <target>System.err</target>
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="io.depot" level="INFO"/>
                  <root level="WARN"><appender-ref ref="ERR"/></root>
                </configuration>
                """);
        Process p = new ProcessBuilder(inside(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-Dlogback.configurationFile=" + logback,
                "-cp", System.getProperty("java.class.path"), DatastoreServerMain.class.getName(), dir.resolve("data").toString())))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        server = new Server(p, log);
        String ready = server.readLine();
        assertTrue(ready != null && ready.startsWith("READY") && ready.contains("portmapper=EMBEDDED"),
                "the Depot server did not start: " + ready + "\n" + Files.readString(log));
    }

    /** A clean stop: the server closes its sessions and flushes and closes the pool. */
    public void stopServer() throws IOException, InterruptedException {
        server.stop();
    }

    /** SIGKILL: the server dies with whatever it had not flushed (what a crash or a power cut leaves). */
    public void killServer() throws InterruptedException {
        server.process.destroyForcibly();
        assertTrue(server.process.waitFor(30, TimeUnit.SECONDS), "the server did not die of SIGKILL");
    }

    /** Runs a short command inside the namespace, returns its exit code and output. */
    public Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        Process p = new ProcessBuilder(inside(command)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(command + " did not finish within " + timeoutSeconds + " s; output:\n" + Files.readString(out));
        }
        return new Result(p.exitValue(), Files.readString(out));
    }

    /** A command's exit code and output. */
    public record Result(int exit, String out) {}

    /** Runs a command that must succeed. */
    public String ok(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Result r = run(command, timeoutSeconds);
        assertEquals(0, r.exit(), () -> String.join(" ", command) + " failed:\n" + r.out());
        return r.out();
    }

    @Override
    public void close() throws Exception {
        if (server != null && server.process.isAlive()) {
            server.stop();
        }
        if (holder != null) {
            holder.getOutputStream().close();
            if (!holder.waitFor(10, TimeUnit.SECONDS)) {
                holder.destroyForcibly();
            }
        }
    }

    /** The running server: a line-per-command control channel over its standard streams. */
    public static final class Server {
        private final Process process;
        private final Path log;
        private final BufferedReader out;
        private final Writer in;

        Server(Process process, Path log) {
            this.process = process;
            this.log = log;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        /** The server's process id (for its CPU time, in the benches). */
        public long pid() { return process.pid(); }

        /** The next line: the server answers promptly or dies (the read then ends with null). */
        public String readLine() throws IOException {
            return out.readLine();
        }

        public synchronized String command(String line) throws IOException {
            in.write(line + "\n");
            in.flush();
            String answer = out.readLine();
            if (answer == null) {
                fail("the server died on '" + line + "':\n" + Files.readString(log));
            }
            return answer;
        }

        /** Calls the HTTP API; returns the JSON body, insisting on the status. */
        public JsonNode api(int status, String method, String path, String json) throws IOException {
            String answer = command("api " + method + " " + path + (json == null ? "" : " " + json));
            String[] w = answer.split(" ", 3);
            assertEquals("HTTP " + status, w[0] + " " + w[1], () -> method + " " + path + " " + json + " answered " + answer);
            return w.length > 2 && !w[2].isBlank() ? JSON.readTree(w[2]) : null;
        }

        public String nfs(String command) throws IOException {
            String answer = command(command);
            assertTrue(answer.startsWith("OK"), () -> command + " answered " + answer);
            return answer;
        }

        /** Closes its input: a clean shutdown. */
        public void stop() throws IOException, InterruptedException {
            in.close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                fail("the server did not stop within 60 s");
            }
        }
    }
}
