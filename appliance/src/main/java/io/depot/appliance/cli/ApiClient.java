package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

/** The CLI's side of the API: one JSON request, errors turned into {@link CliException}s with the right exit code. */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final String base;
    private final String token;

    /** {@code trusted}: the certificates an https API must chain to; null: the JDK's default trust store. */
    ApiClient(String base, String token, List<? extends Certificate> trusted) {
        this.base = base;
        this.token = token;
        // the connect timeout covers the TLS handshake too, which a busy appliance's first request can make slow;
        // a refused connection still fails at once
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20));
        if (trusted != null) {
            b.sslContext(trusting(trusted));
        }
        this.http = b.build();
    }

    static ApiClient of(ClientOptions o) {
        String base = o.baseUrl();
        return new ApiClient(base, o.token(), base.startsWith("https:") ? o.trusted(base) : null);
    }

    private static SSLContext trusting(List<? extends Certificate> certs) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            for (int i = 0; i < certs.size(); i++) {
                ks.setCertificateEntry("trusted-" + i, certs.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS trust: " + e.getMessage(), e);
        }
    }

    JsonNode get(String path) { return send("GET", path, null); }

    JsonNode post(String path, Object body) { return send("POST", path, body); }

    JsonNode put(String path, Object body) { return send("PUT", path, body); }

    JsonNode patch(String path, Object body) { return send("PATCH", path, body); }

    JsonNode delete(String path) { return send("DELETE", path, null); }

    /** One path segment, percent-encoded (names may hold ':' and, in IQNs, other reserved characters). */
    static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Sends a request whose body or answer is a byte stream (a backup): no overall timeout, since a
     * transfer may take hours. Error answers become {@link CliException}s, as for JSON calls.
     */
    HttpResponse<java.io.InputStream> stream(String method, String path, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder b = authorized(HttpRequest.newBuilder(uri(path)))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
        if (body != null) {
            b.header("Content-Type", "application/octet-stream");
        }
        return exchange(() -> {
            HttpResponse<java.io.InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() >= 400) {
                try (java.io.InputStream in = r.body()) {
                    throw failure(r.statusCode(), in.readAllBytes());
                }
            }
            return r;
        });
    }

    /** One HTTP exchange; transport failures become {@link CliException}s with the exit code a script branches on. */
    private <T> T exchange(Exchange<T> call) {
        try {
            return call.run();
        } catch (SSLHandshakeException e) {
            throw untrusted(e);
        } catch (ConnectException | HttpTimeoutException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "cannot reach the Depot API at " + base + " (" + e + "); is depot serve "
                    + "running? (--api or --data-dir point elsewhere)");
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "talking to the Depot API at " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.SERVER_ERROR, "interrupted");
        }
    }

    @FunctionalInterface
    private interface Exchange<T> {
        T run() throws IOException, InterruptedException;
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder b) {
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    private CliException untrusted(SSLHandshakeException e) {
        return new CliException(ExitCodes.UNREACHABLE, "the Depot API at " + base + " presented a TLS certificate this client does "
                + "not trust (" + e.getMessage() + "); pass --cacert FILE (or DEPOT_CACERT) with its certificate or CA");
    }

    /** An API error answer as the CLI's error: the problem's detail, the exit code for the status. */
    static CliException failure(int status, byte[] body) {
        String detail = null;
        try {
            detail = body.length == 0 ? null : JSON.readTree(body).path("detail").asText(null);
        } catch (IOException notJson) {
            // a proxy's HTML page, say: the status alone tells
        }
        return new CliException(ExitCodes.forStatus(status), (detail != null ? detail : "HTTP " + status) + " (HTTP " + status + ")");
    }

    private URI uri(String path) {
        try {
            return URI.create(base + "/api/v1" + path);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "bad API address " + base + ": " + e.getMessage());
        }
    }

    private JsonNode send(String method, String path, Object body) {
        HttpRequest.Builder b = authorized(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/json"));
        return exchange(() -> {
            if (body != null) {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() >= 400) {
                throw failure(r.statusCode(), r.body());
            }
            return r.body().length == 0 ? NullNode.getInstance() : JSON.readTree(r.body());
        });
    }
}
