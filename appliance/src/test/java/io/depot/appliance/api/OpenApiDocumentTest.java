package io.depot.appliance.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-written OpenAPI document describes exactly the routes the server has. */
class OpenApiDocumentTest {
    @Test
    void everyRouteIsDocumentedAndNothingElse(@TempDir Path dir) throws Exception {
        Set<String> routes;
        try (Pool pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(64L << 20))) {
            routes = new TreeSet<>(DepotApi.router(new Appliance(pool, null, null)).describe());
        }
        JsonNode doc;
        try (InputStream in = ApiServer.class.getResourceAsStream("openapi.json")) {
            doc = new ObjectMapper().readTree(in);
        }
        assertEquals("3.1.0", doc.path("openapi").asText());
        Set<String> documented = new TreeSet<>();
        doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(
                method -> documented.add(method.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey())));
        assertEquals(routes, documented);
        // every $ref points at something
        doc.findValues("$ref").forEach(ref -> {
            String[] parts = ref.asText().substring(2).split("/");
            JsonNode target = doc;
            for (String part : parts) {
                target = target.path(part);
            }
            assertEquals(false, target.isMissingNode(), "dangling " + ref.asText());
        });
    }
}
