package io.depot.appliance.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.depot.engine.EngineException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the API on the JDK's built-in server ({@code jdk.httpserver}): a control plane on
 * loopback sees a handful of requests a second, so a few worker threads and no extra dependency
 * beat a web framework. This class owns the transport concerns: authentication, body limits, JSON
 * parsing, and turning every failure into an {@code application/problem+json} answer (RFC 9457).
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Control requests are small; a bigger body is a mistake or an attack. */
    private static final int MAX_BODY = 64 * 1024;
    private static final int WORKERS = 4;

    private final HttpServer server;
    private final ExecutorService workers;
    private final Router router;
    private final ApiToken token;

    private ApiServer(HttpServer server, ExecutorService workers, Router router, ApiToken token) {
        this.server = server;
        this.workers = workers;
        this.router = router;
        this.token = token;
    }

    /** Binds and starts serving; throws IllegalStateException with a clear message when the address is taken. */
    public static ApiServer start(InetSocketAddress address, Router router, ApiToken token) {
        return start(address, router, token, null);
    }

    /** As {@link #start(InetSocketAddress, Router, ApiToken)}, over HTTPS when {@code tls} is not null. */
    public static ApiServer start(InetSocketAddress address, Router router, ApiToken token, TlsIdentity tls) {
        HttpServer http;
        try {
            if (tls == null) {
                http = HttpServer.create(address, 64);
            } else {
                HttpsServer https = HttpsServer.create(address, 64);
                https.setHttpsConfigurator(new HttpsConfigurator(tls.context()));
                http = https;
            }
        } catch (BindException e) {
            throw new IllegalStateException("cannot listen for the API on " + hostPort(address) + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the API on " + hostPort(address) + ": " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS, r -> {
            Thread t = new Thread(r, "depot-api-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ApiServer api = new ApiServer(http, workers, router, token);
        http.createContext("/", api::exchange);
        http.setExecutor(workers);
        http.start();
        log.info("{} API listening on {}", tls == null ? "HTTP" : "HTTPS", api.address());
        return api;
    }

    public InetSocketAddress address() { return server.getAddress(); }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    public boolean https() { return server instanceof HttpsServer; }

    /** Serves {@code GET /metrics} beside the API (outside {@code /api/v1}, where scrapers look for it). */
    public void serveMetrics(MetricsEndpoint endpoint) {
        server.createContext(MetricsEndpoint.PATH, endpoint);
    }

    private void exchange(HttpExchange ex) {
        try (ex) {
            Response response;
            byte[] body;
            try {
                response = dispatch(ex);
                body = encode(response);
            } catch (ApiException e) {
                response = problem(ex, e);
                body = encode(response);
            } catch (EngineException e) {
                response = problem(ex, Problems.of(e));
                body = encode(response);
            } catch (Exception e) {
                log.error("API {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
                response = problem(ex, new ApiException(500, "internal-error", "internal error: " + e));
                body = encode(response);
            }
            write(ex, response, body);
        } catch (IOException e) {
            log.debug("API client went away: {}", e.toString());
        }
    }

    private Response dispatch(HttpExchange ex) throws Exception {
        String method = ex.getRequestMethod();
        String rawPath = ex.getRequestURI().getRawPath();
        Router.Match match = router.match(method, segments(rawPath));
        if (match == null) {
            throw ApiException.notFound("no such resource: " + rawPath);
        }
        if (match.route() == null) {
            ex.getResponseHeaders().set("Allow", String.join(", ", match.allowed()));
            throw new ApiException(405, "method-not-allowed", method + " is not allowed on " + rawPath
                    + "; allowed: " + String.join(", ", match.allowed()));
        }
        if (match.route().upload() != null) {
            return upload(ex, match);
        }
        authorize(ex, match);
        JsonNode body = readBody(ex);
        Request request = new Request(method, match.params(), query(ex.getRequestURI().getRawQuery()), body);
        return match.route().handler().handle(request);
    }

    /** Refuses a request to a route that is not open unless it carries the API token. */
    private void authorize(HttpExchange ex, Router.Match match) {
        if (!match.route().open() && !token.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"depot\"");
            throw new ApiException(401, "unauthorized",
                    "a bearer token is required: send 'Authorization: Bearer <token>' with the token from <data-dir>/" + ApiToken.FILE);
        }
    }

    /**
     * A byte-stream body goes to its handler unread; whatever is left when the answer is decided (the
     * token was missing, the type was wrong, the handler refused the stream early) is read to the end
     * before the answer, which the client then reads instead of a connection reset in the middle of
     * its upload.
     */
    private Response upload(HttpExchange ex, Router.Match match) throws Exception {
        try (InputStream in = ex.getRequestBody()) {
            try {
                authorize(ex, match);
                String type = ex.getRequestHeaders().getFirst("Content-Type");
                if (type != null && !type.toLowerCase().startsWith("application/octet-stream")) {
                    throw new ApiException(415, "unsupported-media-type", "send the body as application/octet-stream, not " + type);
                }
                Request request = new Request(ex.getRequestMethod(), match.params(), query(ex.getRequestURI().getRawQuery()), null);
                return match.route().upload().handle(request, in);
            } finally {
                try {
                    in.transferTo(OutputStream.nullOutputStream());
                } catch (IOException gone) {
                    log.debug("upload client went away: {}", gone.toString());
                }
            }
        }
    }

    private static JsonNode readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new ApiException(413, "body-too-large", "request bodies are limited to " + MAX_BODY + " bytes");
            }
            if (bytes.length == 0) {
                return null;
            }
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            if (type != null && !type.toLowerCase().startsWith("application/json")) {
                throw new ApiException(415, "unsupported-media-type", "send the body as application/json, not " + type);
            }
            try {
                return JSON.readTree(bytes);
            } catch (JsonProcessingException e) {
                throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
            }
        }
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        String p = rawPath.endsWith("/") && rawPath.length() > 1 ? rawPath.substring(0, rawPath.length() - 1) : rawPath;
        for (String s : p.substring(1).split("/", -1)) {
            try {
                // path segments: '+' is a literal plus, only %XX is decoded
                out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("bad percent-encoding in the path: " + s);
            }
        }
        return out;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("bad percent-encoding in the query: " + pair);
            }
        }
        return out;
    }

    private static Response problem(HttpExchange ex, ApiException e) {
        ObjectNode p = JSON.createObjectNode();
        p.put("type", "about:blank");
        p.put("title", title(e.status()));
        p.put("status", e.status());
        p.put("detail", e.getMessage());
        p.put("code", e.code());
        p.put("instance", ex.getRequestURI().getRawPath());
        return new Response(e.status(), p, null);
    }

    /** The body's bytes, made before any header is sent so a serialisation failure can still be answered with a 500. */
    private static byte[] encode(Response r) throws IOException {
        if (r.body() == null) {
            return null;
        }
        if (r.body() instanceof StreamingBody) {
            return null;
        }
        return r.body() instanceof RawJson raw ? raw.bytes() : JSON.writeValueAsBytes(r.body());
    }

    private static void write(HttpExchange ex, Response r, byte[] body) throws IOException {
        if (r.location() != null) {
            ex.getResponseHeaders().set("Location", r.location());
        }
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        if (r.body() instanceof StreamingBody stream) {
            // a fixed length: a stream cut short by a failure is a short body the client cannot mistake for a whole one
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            try {
                ex.sendResponseHeaders(r.status(), stream.length());
                try (OutputStream out = ex.getResponseBody()) {
                    stream.writeTo(out);
                }
            } catch (IOException e) {
                // Thrown out of the handler, the JDK server closes the connection: the client sees the body end
                // short of its length. Swallowed, it would leave the connection open and the client waiting.
                throw new java.io.UncheckedIOException("stream aborted", e);
            } finally {
                stream.finished();
            }
            return;
        }
        if (body == null || "HEAD".equals(ex.getRequestMethod())) {
            ex.sendResponseHeaders(r.status(), -1);
            return;
        }
        ex.getResponseHeaders().set("Content-Type", r.status() >= 400 ? "application/problem+json" : "application/json");
        ex.sendResponseHeaders(r.status(), body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** A body that is already JSON text (the OpenAPI document). */
    public record RawJson(byte[] bytes) {}

    /**
     * A body of bytes written as it is produced (a backup stream), of a length known up front. A
     * failure while writing throws IOException: the connection is then closed short of that length.
     */
    public interface StreamingBody {
        long length();

        void writeTo(OutputStream out) throws IOException;

        /** Called once the answer is over, whether the body was written whole, in part or not at all. */
        default void finished() {}
    }

    private static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 503 -> "Service Unavailable";
            case 507 -> "Insufficient Storage";
            default -> status >= 500 ? "Internal Server Error" : "Error";
        };
    }

    /** Stops accepting, lets running requests finish for up to a second, stops the workers. */
    @Override
    public void close() {
        server.stop(1);
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
