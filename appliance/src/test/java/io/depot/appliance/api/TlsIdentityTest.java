package io.depot.appliance.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.appliance.config.ConfigException;
import io.depot.appliance.config.DepotConfig.TlsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API's TLS identity from files made by openssl and keytool, and the refusals an operator can act on. */
class TlsIdentityTest {
    @TempDir
    Path dir;

    private void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("tool.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ": " + read(dir.resolve("tool.log")));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void pemCertificateAndPkcs8Key() throws Exception {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("k.pem").toString(),
                "-out", dir.resolve("c.pem").toString(), "-days", "1", "-subj", "/CN=pem-test");
        TlsIdentity id = TlsIdentity.load(new TlsConfig(dir.resolve("c.pem"), dir.resolve("k.pem"), null, null, null));
        assertEquals("CN=pem-test", id.certificate().getSubjectX500Principal().getName());
        assertTrue(id.certificatePem().startsWith("-----BEGIN CERTIFICATE-----\n"));
        assertEquals(id.certificate(), TlsIdentity.certificates(dir.resolve("c.pem"), "x").get(0));
    }

    @Test
    void pkcs12KeystoreWithAPasswordFile() throws Exception {
        run("keytool", "-genkeypair", "-keystore", dir.resolve("api.p12").toString(), "-storetype", "PKCS12", "-storepass",
                "secret-pass", "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=p12-test", "-validity", "1");
        Files.writeString(dir.resolve("pass"), "secret-pass\n");
        TlsIdentity id = TlsIdentity.load(new TlsConfig(null, null, dir.resolve("api.p12"), null, dir.resolve("pass")));
        assertEquals("CN=p12-test", id.certificate().getSubjectX500Principal().getName());

        String wrong = assertThrows(ConfigException.class,
                () -> TlsIdentity.load(new TlsConfig(null, null, dir.resolve("api.p12"), "nope", null))).getMessage();
        assertTrue(wrong.contains("tls.keystore") && wrong.contains("password"), wrong);
    }

    @Test
    void anOldStyleRsaKeyIsRefusedWithTheCommandThatConvertsIt() throws Exception {
        run("openssl", "genrsa", "-traditional", "-out", dir.resolve("rsa.key").toString(), "2048");
        run("openssl", "req", "-x509", "-new", "-key", dir.resolve("rsa.key").toString(), "-out", dir.resolve("c.pem").toString(),
                "-days", "1", "-subj", "/CN=old");
        String m = assertThrows(ConfigException.class, () -> TlsIdentity.load(
                new TlsConfig(dir.resolve("c.pem"), dir.resolve("rsa.key"), null, null, null))).getMessage();
        assertTrue(m.contains("RSA PRIVATE KEY") && m.contains("openssl pkcs8 -topk8 -nocrypt"), m);

        Files.writeString(dir.resolve("empty.pem"), "not a certificate\n");
        String notCert = assertThrows(ConfigException.class, () -> TlsIdentity.certificates(dir.resolve("empty.pem"), "tls.certificate"))
                .getMessage();
        assertTrue(notCert.startsWith("tls.certificate " + dir.resolve("empty.pem")), notCert);
    }
}
