package io.depot.appliance.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics}: the Prometheus text format, without a token. Metrics are read-only
 * figures (counters, latencies, space, and volume and job names) and scrapers are easiest to run
 * without secrets; the API stays loopback-only unless {@code --api-listen} says otherwise, and
 * nothing here changes anything (any method but GET and HEAD is 405).
 */
public final class MetricsEndpoint implements HttpHandler {
    public static final String PATH = "/metrics";
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final Supplier<String> scrape;
    private final String contentType;

    /** @param scrape renders the metrics; {@code contentType} is what it renders */
    public MetricsEndpoint(Supplier<String> scrape, String contentType) {
        this.scrape = scrape;
        this.contentType = contentType;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!ex.getRequestURI().getPath().equals(PATH)) {
                send(ex, 404, "application/problem+json", problem(404, "Not Found", "not-found", "no such resource: "
                        + ex.getRequestURI().getRawPath()));
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                send(ex, 405, "application/problem+json", problem(405, "Method Not Allowed", "method-not-allowed",
                        method + " is not allowed on " + PATH + "; allowed: GET, HEAD"));
                return;
            }
            String body;
            try {
                body = scrape.get();
            } catch (RuntimeException e) {
                log.error("GET {} failed", PATH, e);
                send(ex, 500, "application/problem+json", problem(500, "Internal Server Error", "internal-error",
                        "cannot render the metrics: " + e));
                return;
            }
            send(ex, 200, contentType, body);
        }
    }

    private static String problem(int status, String title, String code, String detail) {
        var p = ApiServer.JSON.createObjectNode();
        p.put("type", "about:blank").put("title", title).put("status", status).put("detail", detail).put("code", code)
                .put("instance", PATH);
        return p.toString();
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        if ("HEAD".equals(ex.getRequestMethod())) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
