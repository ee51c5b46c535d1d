package io.depot.appliance.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.depot.appliance.cli.ExitCodes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's side of the appliance, end to end: {@code depot serve --config FILE} (YAML with
 * seeds and a TLS certificate made by openssl), the CLI over HTTPS trusting the certificate the
 * daemon published (and refusing another), NFS exports with client rules made by the CLI, a clone
 * of a snapshot put into the datastore and read back with libnfs's {@code nfs-cat}, a client a rule
 * denies, and a restart that keeps exports and changes. libnfs is pointed at the gateway's port
 * ({@code ?nfsport=&mountport=}) so the test needs neither port 111 nor a network namespace.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConfigNfsTlsEndToEndTest extends DaemonTest {
    private static final String SEEDED_IQN = "iqn.2025-01.io.depot.test:seeded";
    private static final String IQN = "iqn.2025-01.io.depot.test:open";

    private Path config;
    private Path cert;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        useFolder(tmp);
        for (String[] tool : new String[][] {{"qemu-io", "qemu-utils"}, {"nfs-cat", "libnfs-utils"}, {"openssl", "openssl"}}) {
            requireTool(tool[0], tool[1]);
        }
        cert = selfSigned("api");
        config = dir.resolve("depot.yaml");
        Files.writeString(config, """
                # what an operator writes; ports 0 so tests never collide
                pool:
                  capacity: 1G
                  cluster-size: 64K
                listen:
                  iscsi: 127.0.0.1:0
                  nfs: 127.0.0.1:0
                  portmapper: 127.0.0.1:0
                  api: 127.0.0.1:0
                tls:
                  certificate: %s
                  key: %s
                volumes:
                  - name: seeded
                    size: 16M
                iscsi:
                  targets:
                    - name: %s
                      luns:
                        - lun: 0
                          volume: seeded
                      initiators: [iqn.2025-01.io.depot.test:host1]
                      chap: {user: host1, secret: twelve-bytes-or-more}
                nfs:
                  exports:
                    - path: /depot
                    - path: /locked
                      clients: ["10.9.9.0/24(rw)"]
                      squash: root
                """.formatted(cert, dir.resolve("api.key"), SEEDED_IQN));
        startDaemon(List.of("--config", config.toString()));
    }

    @Test
    @Order(1)
    void theFileSeedsVolumesTargetsAndExportsAndTheApiSpeaksHttps() throws Exception {
        assertTrue(daemon.api().startsWith("https://127.0.0.1:"), daemon.api());
        assertNotNull(daemon.runtime().apiCertificate());
        // the CLI trusts the certificate the daemon published in its runtime file
        JsonNode seeded = cli.ok("volume", "show", "seeded", "--json").json();
        assertEquals(16L << 20, seeded.path("size").asLong());
        JsonNode target = cli.ok("iscsi", "target", "show", SEEDED_IQN, "--json").json();
        assertEquals("seeded", target.path("luns").get(0).path("volume").asText());
        assertEquals("iqn.2025-01.io.depot.test:host1", target.path("allowedInitiators").get(0).asText());
        assertEquals("host1", target.path("chapUser").asText());
        JsonNode exports = cli.ok("nfs", "export", "list", "--json").json();
        assertEquals(2, exports.size(), exports.toString());
        assertEquals("/locked", exports.get(1).path("path").asText());
        assertEquals("10.9.9.0/24(rw)", exports.get(1).path("clients").get(0).asText());
        assertEquals("root", exports.get(1).path("squash").asText());

        // raw HTTPS: refused by a client that does not trust the certificate, served to one that does
        HttpRequest pool = HttpRequest.newBuilder(URI.create(daemon.api() + "/api/v1/pool"))
                .header("Authorization", "Bearer " + Files.readString(data.resolve("api-token")).trim()).build();
        assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(pool, HttpResponse.BodyHandlers.ofString()));
        HttpResponse<String> ok = HttpClient.newBuilder().sslContext(trusting(cert)).build().send(pool, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode(), ok.body());
        // plain HTTP to the HTTPS port gets no API answer
        HttpRequest plain = HttpRequest.newBuilder(URI.create(daemon.api().replace("https:", "http:") + "/api/v1/health")).build();
        assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(plain, HttpResponse.BodyHandlers.ofString()));

        // --cacert: the right certificate works, another one is refused with a clear message
        cli.ok("pool", "--cacert", cert.toString(), "--api", daemon.api());
        Cli.Result refused = cli.exits(ExitCodes.UNREACHABLE, "pool", "--cacert", selfSigned("other").toString());
        assertTrue(refused.err().contains("TLS certificate") && refused.err().contains("--cacert"), refused.err());
        assertEquals("ok", cli.ok("health", "--json").json().path("status").asText());
    }

    @Test
    @Order(2)
    void aCloneOfASnapshotIsExportedOverNfsAndReadBackWithNfsCat() throws Exception {
        createVolumeAtLunZero("vm1", "4M", IQN);
        qemuIo("write -P 0xab 0 1M", "write -P 0x5c 3M 4k");
        cli.ok("snapshot", "create", "vm1@gold");
        qemuIo("write -P 0x11 0 4k"); // after the snapshot: in neither clone
        cli.ok("clone", "vm1@gold", "vm1-clone");
        cli.ok("snapshot", "create", "vm1-clone@export");
        Cli.Result imported = cli.ok("nfs", "import", "vm1-clone@export", "/depot/vm1-clone.raw");
        assertTrue(imported.out().contains("/depot/vm1-clone.raw (4.0 MiB) made from vm1-clone@export"), imported.out());

        byte[] expected = new byte[4 << 20];
        Arrays.fill(expected, 0, 1 << 20, (byte) 0xab);
        Arrays.fill(expected, 3 << 20, (3 << 20) + 4096, (byte) 0x5c);
        assertArrayEquals(expected, nfsCat("/depot/vm1-clone.raw"));

        // a full clone made straight from the snapshot, into a new export with client rules and squash
        JsonNode created = cli.ok("nfs", "export", "create", "/shared", "--client", "127.0.0.1(ro)", "--client", "10.0.0.0/8",
                "--squash", "all", "--anon-uid", "1000", "--anon-gid", "1000", "--json").json();
        assertEquals(List.of("127.0.0.1(ro)", "10.0.0.0/8(rw)"), strings(created.path("clients")));
        assertEquals(1000, created.path("anonUid").asInt());
        JsonNode full = cli.ok("nfs", "import", "vm1@gold", "/shared/gold.raw", "--full", "--json").json();
        assertEquals("/shared/gold.raw", full.path("path").asText());
        String fileVolume = full.path("volume").asText();
        JsonNode owner = null;
        for (JsonNode v : cli.ok("volume", "list", "--all", "--json").json()) {
            if (v.path("name").asText().equals(fileVolume)) {
                owner = v.path("owner");
            }
        }
        assertNotNull(owner, fileVolume + " is listed with --all");
        assertEquals("nfs-file", owner.path("kind").asText(), "the file's volume belongs to the NFS datastore: " + owner);
        String table = cli.ok("volume", "list", "--all").out();
        assertTrue(table.lines().anyMatch(l -> l.startsWith(fileVolume + " ") && l.contains(" nfs-file ")),
                "the table says whose the file's volume is:\n" + table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("vm1 ") && l.contains(" user ")), table);
        assertNotNull(full.path("job").textValue(), full.toString());
        assertArrayEquals(expected, nfsCat("/shared/gold.raw"));

        // a client no rule lets in is refused at MOUNT; changing the rules lets it in at once
        cli.ok("nfs", "import", "vm1@gold", "/locked/gold.raw");
        ProcessResult denied = nfsCatRaw("/locked/gold.raw");
        assertNotEquals(0, denied.exit());
        assertTrue(new String(denied.err(), StandardCharsets.UTF_8).contains("MNT3ERR_ACCES"), new String(denied.err(), StandardCharsets.UTF_8));
        assertEquals(0, denied.out().length);
        cli.ok("nfs", "export", "set", "/locked", "--client", "127.0.0.0/8(ro)");
        assertArrayEquals(expected, nfsCat("/locked/gold.raw"));

        // refusals are problems with exit codes
        assertTrue(cli.exits(ExitCodes.CONFLICT, "nfs", "export", "create", "/shared").err().contains("already exists"));
        assertTrue(cli.exits(ExitCodes.USAGE, "nfs", "import", "vm1@gold", "/elsewhere/x.raw").err().contains("not inside an export"));
        assertTrue(cli.exits(ExitCodes.USAGE, "nfs", "export", "set", "/shared", "--client", "10.0.0.0/33").err().contains("prefix length"));
        cli.exits(ExitCodes.NOT_FOUND, "nfs", "import", "vm1@nope", "/depot/x.raw");
        // the snapshot is the linked file's origin: the engine refuses to delete it
        cli.exits(ExitCodes.CONFLICT, "snapshot", "delete", "vm1-clone@export");
    }

    @Test
    @Order(3)
    void aRestartKeepsExportsAndTheApisChangesOverTheSeeds() throws Exception {
        cli.ok("volume", "resize", "seeded", "32M");
        assertEquals(143, daemon.stop(), "SIGTERM: a clean shutdown exits 128+15");
        daemon = Daemon.start(data, List.of("--config", config.toString()));

        // the pool's state wins over the file's seeds
        assertEquals(32L << 20, cli.ok("volume", "show", "seeded", "--json").json().path("size").asLong());
        JsonNode locked = cli.ok("nfs", "export", "show", "/locked", "--json").json();
        assertEquals(List.of("127.0.0.0/8(ro)"), strings(locked.path("clients")));
        JsonNode shared = cli.ok("nfs", "export", "show", "shared", "--json").json();
        assertEquals("all", shared.path("squash").asText());
        assertEquals(List.of("127.0.0.1(ro)", "10.0.0.0/8(rw)"), strings(shared.path("clients")));
        assertTrue(daemon.log().contains("config: volume seeded exists with size 32.0 MiB; the file's size 16M is not applied"), daemon.log());

        byte[] expected = new byte[4 << 20];
        Arrays.fill(expected, 0, 1 << 20, (byte) 0xab);
        Arrays.fill(expected, 3 << 20, (3 << 20) + 4096, (byte) 0x5c);
        assertArrayEquals(expected, nfsCat("/depot/vm1-clone.raw"));
        assertArrayEquals(expected, nfsCat("/shared/gold.raw"));

        cli.ok("nfs", "export", "delete", "/shared");
        assertEquals(List.of("/depot", "/locked"), cli.ok("nfs", "export", "list", "--json").json().findValuesAsText("path"));
        assertNotEquals(0, nfsCatRaw("/shared/gold.raw").exit());
    }

    @Test
    @Order(4)
    void aBadFileOrATakenPortStopsTheStartWithAClearMessage() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "pool:\n  capacity: 1G\n  capcity: 2G\n");
        Cli.Result r = cli.raw(List.of("serve", "--config", bad.toString(), "--data-dir", dir.resolve("bad-data").toString()));
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue((r.out() + r.err()).contains(bad + " line 3: pool.capcity: unknown key (known here: capacity, cluster-size, data-path)"),
                r.out() + r.err());

        String apiPort = daemon.api().substring(daemon.api().lastIndexOf(':') + 1);
        Cli.Result taken = cli.raw(List.of("serve", "--config", config.toString(), "--data-dir", dir.resolve("other-data").toString(),
                "--iscsi-portal", "off", "--nfs-port", "off", "--api-listen", "127.0.0.1:" + apiPort));
        assertEquals(2, taken.exit(), taken.out() + taken.err());
        assertTrue((taken.out() + taken.err()).contains("cannot listen for the API on 127.0.0.1") 
                && (taken.out() + taken.err()).contains("choose another address with --api-listen"), taken.out() + taken.err());

        Cli.Result iscsi = cli.raw(List.of("serve", "--config", config.toString(), "--data-dir", dir.resolve("other-data").toString(),
                "--iscsi-portal", daemon.runtime().iscsi(), "--nfs-port", "off", "--api-listen", "off"));
        assertEquals(2, iscsi.exit(), iscsi.out() + iscsi.err());
        assertTrue((iscsi.out() + iscsi.err()).contains("cannot listen for iSCSI on /" + daemon.runtime().iscsi())
                && (iscsi.out() + iscsi.err()).contains("choose another address with --iscsi-portal"), iscsi.out() + iscsi.err());
    }

    // ---- helpers ----

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** A self-signed certificate for 127.0.0.1 (openssl writes the key as PKCS#8). */
    private Path selfSigned(String name) throws Exception {
        Path crt = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        ProcessResult r = run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key.toString(), "-out", crt.toString(), "-days", "2", "-subj", "/CN=depot-" + name,
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"));
        assertEquals(0, r.exit(), new String(r.err(), StandardCharsets.UTF_8));
        return crt;
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("api", CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(pem))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private void qemuIo(String... commands) {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : commands) {
            cmd.addAll(List.of("-c", c));
        }
        cmd.add(daemon.iscsiUrl(IQN, 0));
        ProcessResult r = run(cmd);
        String out = new String(r.out(), StandardCharsets.UTF_8) + new String(r.err(), StandardCharsets.UTF_8);
        assertEquals(0, r.exit(), out);
        assertTrue(!out.toLowerCase().contains("error"), out);
    }

    /** nfs-cat straight to the gateway's port (libnfs skips the portmapper when given both ports). */
    private ProcessResult nfsCatRaw(String path) {
        String port = daemon.runtime().nfs().substring(daemon.runtime().nfs().lastIndexOf(':') + 1);
        return run(List.of("timeout", "30", "nfs-cat", "nfs://127.0.0.1" + path + "?nfsport=" + port + "&mountport=" + port));
    }

    private byte[] nfsCat(String path) {
        ProcessResult r = nfsCatRaw(path);
        assertEquals(0, r.exit(), () -> "nfs-cat " + path + ": " + new String(r.err(), StandardCharsets.UTF_8));
        return r.out();
    }

    record ProcessResult(int exit, byte[] out, byte[] err) {}

    private ProcessResult run(List<String> cmd) {
        try {
            Path out = Files.createTempFile(dir, "proc", ".out");
            Path err = Files.createTempFile(dir, "proc", ".err");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail(cmd + " did not finish within 60 s");
            }
            return new ProcessResult(p.exitValue(), Files.readAllBytes(out), Files.readAllBytes(err));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void requireTool(String tool, String debianPackage) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        fail(tool + " is not installed; install the Debian package " + debianPackage + " (.ci/run does)");
    }
}
