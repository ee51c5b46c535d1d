package io.depot.appliance.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Maps a method and a path such as {@code /api/v1/volumes/vm1/snapshots/nightly} to its handler.
 * Templates are segment-wise: {@code {name}} matches one whole segment (already percent-decoded).
 */
public final class Router {
    /** Handles one request; throws {@link ApiException} (or an engine exception) to answer with a problem. */
    @FunctionalInterface
    public interface Handler {
        Response handle(Request request) throws Exception;
    }

    /**
     * Handles a request whose body is a byte stream (a backup being imported) rather than JSON: it
     * reads {@code body} itself, as it arrives. The server reads whatever it leaves to the end before
     * answering, so a client still sending sees the answer rather than a reset connection.
     */
    @FunctionalInterface
    public interface UploadHandler {
        Response handle(Request request, java.io.InputStream body) throws Exception;
    }

    /**
     * {@code open}: served without a token (health, the OpenAPI document); everything else needs one.
     * {@code upload}: set instead of a JSON body for routes that take a byte stream.
     */
    record Route(String method, String[] template, Handler handler, boolean open, UploadHandler upload) {}

    /** A route that matched, with its path parameters; or, when only the path matched, the allowed methods. */
    record Match(Route route, Map<String, String> params, List<String> allowed) {}

    private final List<Route> routes = new ArrayList<>();

    public Router add(String method, String template, Handler handler) {
        routes.add(new Route(method, split(template), handler, false, null));
        return this;
    }

    public Router addOpen(String method, String template, Handler handler) {
        routes.add(new Route(method, split(template), handler, true, null));
        return this;
    }

    /** A route whose body is {@code application/octet-stream}, streamed to the handler (authenticated). */
    public Router addUpload(String method, String template, UploadHandler handler) {
        routes.add(new Route(method, split(template), null, false, handler));
        return this;
    }

    /** Every route as "METHOD /template", for the check that the OpenAPI document lists them all. */
    public List<String> describe() {
        return routes.stream().map(r -> r.method() + " /" + String.join("/", r.template())).toList();
    }

    /** Null when no template matches the path at all (404). */
    Match match(String method, List<String> segments) {
        TreeSet<String> allowed = new TreeSet<>();
        for (Route r : routes) {
            Map<String, String> params = bind(r.template(), segments);
            if (params == null) {
                continue;
            }
            if (r.method().equals(method)) {
                return new Match(r, params, List.of());
            }
            allowed.add(r.method());
        }
        return allowed.isEmpty() ? null : new Match(null, Map.of(), List.copyOf(allowed));
    }

    private static Map<String, String> bind(String[] template, List<String> segments) {
        if (template.length != segments.size()) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.startsWith("{") && t.endsWith("}")) {
                if (segments.get(i).isEmpty()) {
                    return null;
                }
                params.put(t.substring(1, t.length() - 1), segments.get(i));
            } else if (!t.equals(segments.get(i))) {
                return null;
            }
        }
        return params;
    }

    private static String[] split(String template) {
        return template.substring(1).split("/");
    }
}
