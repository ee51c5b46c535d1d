package io.depot.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.depot.appliance.api.ApiServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every operation of the OpenAPI document is reachable from the CLI, found by running the CLI, not
 * by trusting a list: each leaf command runs once against a stub server that records the requests,
 * and the requests are matched to the document's operations. Also: the table below covers every
 * leaf command, so a new command without an entry fails here too.
 */
class CliCoversApiTest {
    /** Not for the CLI: the document that describes the API itself (fetch it with curl). */
    private static final Set<String> NOT_CLI = Set.of("openapi");

    /** One invocation per leaf command (commands that are not API clients are listed with null). */
    private static final Map<String, List<String>> RUNS = new LinkedHashMap<>();

    static {
        run("serve", (String[]) null);
        run("completion", (String[]) null);
        run("health");
        run("pool");
        run("integrity");
        run("volume create", "v", "--size", "1G");
        run("volume list");
        run("volume show", "v");
        run("volume resize", "v", "2G");
        run("volume rename", "v", "w");
        run("volume delete", "v");
        run("snapshot create", "v@s");
        run("snapshot list", "v");
        run("snapshot show", "v@s");
        run("snapshot delete", "v@s");
        run("snapshot rollback", "v@s");
        run("snapshot group", "s", "v", "w");
        run("clone", "v@s", "c");
        run("job list");
        run("job show", "j");
        run("job cancel", "j");
        run("iscsi target create", "iqn.2025-01.x:y");
        run("iscsi target list");
        run("iscsi target show", "iqn.2025-01.x:y");
        run("iscsi target delete", "iqn.2025-01.x:y");
        run("iscsi lun map", "iqn.2025-01.x:y", "0", "v");
        run("iscsi lun unmap", "iqn.2025-01.x:y", "0");
        run("iscsi acl set", "iqn.2025-01.x:y", "iqn.2025-01.x:i");
        run("iscsi acl clear", "iqn.2025-01.x:y");
        run("iscsi chap set", "iqn.2025-01.x:y", "user", "secret123456");
        run("iscsi chap off", "iqn.2025-01.x:y");
        run("iscsi sessions");
        run("nfs export create", "/e", "--client", "10.0.0.0/8(ro)", "--squash", "root");
        run("nfs export list");
        run("nfs export show", "/e");
        run("nfs export set", "/e", "--everyone");
        run("nfs export delete", "/e");
        run("nfs snapshot create", "/e", "s");
        run("nfs snapshot list", "/e");
        run("nfs snapshot delete", "/e", "s");
        run("nfs clients");
        run("nfs locks list");
        run("nfs locks release", "pve1.lan");
        run("nfs import", "v@s", "/e/disks/v.raw");
        run("snapshot export", "v@s", "--since", "r", "-o", "EXPORT_FILE");
        run("snapshot import", "-i", "IMPORT_FILE", "--volume", "v");
        run("schedule create", "v", "--every", "hourly", "--keep", "24");
        run("schedule list");
        run("schedule show", "v-hourly");
        run("schedule run", "v-hourly");
        run("schedule delete", "v-hourly");
        run("scrub start", "--bandwidth", "100M");
        run("scrub status");
        run("scrub cancel");
        run("scrub resume");
        run("scrub schedule show");
        run("scrub schedule set", "--every", "weekly");
        run("scrub schedule delete");
        run("pool upgrade");
    }

    /**
     * Commands that check what the server sends: the stub's "{}" is not a backup stream, so they exit
     * non-zero after making their one request (the request is what this test is about).
     */
    private static final Set<String> REJECT_STUB_ANSWER = Set.of("snapshot export");

    private static void run(String command, String... args) {
        RUNS.put(command, args == null ? null : List.of(args));
    }

    record Operation(String id, String method, String[] template) {
        boolean matches(String m, String path) {
            String[] segs = path.substring(1).split("/", -1);
            if (!m.equals(method) || segs.length != template.length) {
                return false;
            }
            for (int i = 0; i < segs.length; i++) {
                if (!template[i].startsWith("{") && !template[i].equals(segs[i])) {
                    return false;
                }
            }
            return true;
        }
    }

    @Test
    void everyOperationHasACommandAndEveryCommandIsExercised(@TempDir Path dir) throws Exception {
        List<Operation> operations = new ArrayList<>();
        try (InputStream in = ApiServer.class.getResourceAsStream("openapi.json")) {
            JsonNode doc = new ObjectMapper().readTree(in);
            doc.path("paths").properties().forEach(p -> p.getValue().properties().forEach(m -> operations.add(new Operation(
                    m.getValue().path("operationId").asText(), m.getKey().toUpperCase(Locale.ROOT), p.getKey().substring(1).split("/")))));
        }

        Set<String> leaves = new TreeSet<>();
        collectLeaves(DepotCommand.commandLine(), "", leaves);
        assertEquals(leaves, new TreeSet<>(RUNS.keySet()), "every leaf command has one invocation in RUNS");

        List<String> requests = new ArrayList<>();
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        stub.createContext("/", ex -> {
            synchronized (requests) {
                requests.add(ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath());
            }
            ex.getRequestBody().readAllBytes();
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        stub.start();
        Path token = Files.writeString(dir.resolve("token"), "t");
        Map<String, String> coveredBy = new TreeMap<>();
        try {
            for (Map.Entry<String, List<String>> r : RUNS.entrySet()) {
                if (r.getValue() == null) {
                    continue;
                }
                List<String> args = new ArrayList<>(List.of(r.getKey().split(" ")));
                for (String a : r.getValue()) {
                    args.add(switch (a) {
                        case "EXPORT_FILE" -> dir.resolve("export.depotbak").toString();
                        case "IMPORT_FILE" -> Files.write(dir.resolve("import.depotbak"), new byte[4096]).toString();
                        default -> a;
                    });
                }
                args.addAll(List.of("--json", "--api", "http://127.0.0.1:" + stub.getAddress().getPort(), "--token-file", token.toString(),
                        "--data-dir", dir.toString()));
                CommandLine cl = DepotCommand.commandLine();
                StringWriter err = new StringWriter();
                cl.setOut(new PrintWriter(new StringWriter()));
                cl.setErr(new PrintWriter(err));
                requests.clear();
                int exit = cl.execute(args.toArray(String[]::new));
                if (!REJECT_STUB_ANSWER.contains(r.getKey())) {
                    assertEquals(0, exit, () -> "depot " + args + ": " + err);
                }
                assertEquals(1, requests.size(), () -> "depot " + r.getKey() + " made " + requests);
                String[] req = requests.get(0).split(" ", 2);
                String path = req[1].startsWith("/api/v1") ? req[1] : "?";
                Operation op = operations.stream().filter(o -> o.matches(req[0], path)).findFirst().orElse(null);
                assertEquals(true, op != null, () -> "depot " + r.getKey() + " called " + requests.get(0) + ", which the OpenAPI document lacks");
                coveredBy.putIfAbsent(op.id(), r.getKey());
            }
        } finally {
            stub.stop(0);
        }
        Set<String> expected = new TreeSet<>();
        operations.forEach(o -> expected.add(o.id()));
        expected.removeAll(NOT_CLI);
        assertEquals(expected, coveredBy.keySet(), "operations without a CLI command");
    }

    private static void collectLeaves(CommandLine c, String prefix, Set<String> out) {
        Map<String, CommandLine> subs = c.getSubcommands();
        // picocli lists a command under its aliases too; the help subcommand is not ours
        Set<String> names = new TreeSet<>();
        subs.forEach((name, sub) -> names.add(sub.getCommandName()));
        if (names.isEmpty() || c.getCommandSpec().userObject() instanceof java.util.concurrent.Callable) {
            out.add(prefix);   // a command that runs by itself counts even with subcommands ("depot pool", "depot pool upgrade")
        }
        if (names.isEmpty()) {
            return;
        }
        for (String name : names) {
            collectLeaves(subs.get(name), prefix.isEmpty() ? name : prefix + " " + name, out);
        }
    }
}
