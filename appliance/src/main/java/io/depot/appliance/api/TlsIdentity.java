package io.depot.appliance.api;

import io.depot.appliance.config.ConfigException;
import io.depot.appliance.config.DepotConfig.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The API's TLS identity (certificate chain and private key) from PEM files or a PKCS#12 keystore,
 * with JDK APIs only. PEM keys must be PKCS#8 ("BEGIN PRIVATE KEY", what openssl 3 writes by
 * default); an older "BEGIN RSA PRIVATE KEY" file is refused with the command that converts it.
 *
 * @param context     for the HTTPS server
 * @param certificate the leaf certificate, which the runtime file hands to the local CLI to trust
 */
public record TlsIdentity(SSLContext context, X509Certificate certificate) {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    public static TlsIdentity load(TlsConfig c) {
        try {
            char[] password;
            KeyStore ks;
            if (c.keystore() != null) {
                password = keystorePassword(c);
                ks = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(c.keystore())) {
                    ks.load(in, password);
                } catch (IOException e) {
                    throw new ConfigException("tls.keystore " + c.keystore() + ": cannot open it (" + e.getMessage()
                            + "); is the password right?", e);
                }
            } else {
                password = new char[0];
                ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                List<? extends Certificate> chain = certificates(c.certificate(), "tls.certificate");
                ks.setKeyEntry("api", privateKey(c.key()), password, chain.toArray(new Certificate[0]));
            }
            String alias = Collections.list(ks.aliases()).stream().filter(a -> isKey(ks, a)).findFirst()
                    .orElseThrow(() -> new ConfigException("tls.keystore " + c.keystore() + " holds no private key entry"));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return new TlsIdentity(ctx, (X509Certificate) ks.getCertificate(alias));
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException("tls: " + e.getMessage(), e);
        }
    }

    /** The leaf certificate as PEM text. */
    public String certificatePem() {
        try {
            return pem("CERTIFICATE", certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Every certificate of a PEM file (a chain, or a CA bundle). */
    public static List<? extends Certificate> certificates(Path file, String key) {
        try (InputStream in = Files.newInputStream(file)) {
            List<? extends Certificate> certs = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (certs.isEmpty()) {
                throw new ConfigException(key + " " + file + " holds no certificate");
            }
            return certs;
        } catch (IOException e) {
            throw new ConfigException(key + " " + file + ": cannot read it: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new ConfigException(key + " " + file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigException("tls.key " + file + ": cannot read it: " + e.getMessage(), e);
        }
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("PRIVATE KEY")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (GeneralSecurityException tryNext) {
                        // the PKCS#8 header names the algorithm, but KeyFactory wants it up front
                    }
                }
                throw new ConfigException("tls.key " + file + ": a PKCS#8 key of an algorithm this JDK cannot read");
            }
            if (type.endsWith("PRIVATE KEY")) {
                throw new ConfigException("tls.key " + file + " is a '" + type + "' file; Depot reads unencrypted PKCS#8 keys: "
                        + "convert it with 'openssl pkcs8 -topk8 -nocrypt -in " + file + " -out " + file + ".pk8'");
            }
        }
        throw new ConfigException("tls.key " + file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }

    private static char[] keystorePassword(TlsConfig c) throws IOException {
        if (c.keystorePasswordFile() != null) {
            try {
                return Files.readString(c.keystorePasswordFile(), StandardCharsets.UTF_8).strip().toCharArray();
            } catch (IOException e) {
                throw new ConfigException("tls.keystore-password-file " + c.keystorePasswordFile() + ": cannot read it: "
                        + e.getMessage(), e);
            }
        }
        return c.keystorePassword() == null ? new char[0] : c.keystorePassword().toCharArray();
    }

    private static boolean isKey(KeyStore ks, String alias) {
        try {
            return ks.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
