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
import java.time.Duration;

/** The CLI's side of the API: one JSON request, errors turned into {@link CliException}s with the right exit code. */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    ApiClient(String base, String token) {
        this.base = base;
        this.token = token;
    }

    static ApiClient of(ClientOptions o) {
        return new ApiClient(o.baseUrl(), o.token());
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

    private JsonNode send(String method, String path, Object body) {
        URI uri;
        try {
            uri = URI.create(base + "/api/v1" + path);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "bad API address " + base + ": " + e.getMessage());
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
        try {
            if (body != null) {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = r.body().length == 0 ? NullNode.getInstance() : JSON.readTree(r.body());
            if (r.statusCode() >= 400) {
                String detail = json.path("detail").asText(null);
                throw new CliException(ExitCodes.forStatus(r.statusCode()),
                        (detail != null ? detail : "HTTP " + r.statusCode()) + " (HTTP " + r.statusCode() + ")");
            }
            return json;
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
}
