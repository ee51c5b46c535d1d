package io.depot.appliance.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.appliance.backup.BackupExport;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.engine.Volume;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP side of backups against a real server and pool: the export is the stream the engine
 * makes, with its exact length; an export whose snapshot disappears midway reaches the client as
 * a short, failing body, never as a complete-looking one; an upload the server refuses early is
 * still answered with its problem, not a connection reset.
 */
class BackupApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MiB = 1 << 20;

    @TempDir
    Path dir;
    private Pool pool;
    private ApiServer server;
    private String token;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(512L * MiB));
        server = ApiServer.start(new InetSocketAddress("127.0.0.1", 0), DepotApi.router(new Appliance(pool, null, null)),
                ApiToken.loadOrCreate(dir));
        token = ApiToken.read(dir.resolve(ApiToken.FILE));
    }

    @AfterEach
    void stop() {
        server.close();
        pool.close();
    }

    private Volume volumeWithData(String name, int mib) {
        Volume v = pool.createVolume(name, (long) mib * MiB);
        byte[] chunk = new byte[MiB];
        new Random(7).nextBytes(chunk);
        for (int i = 0; i < mib; i++) {
            v.write((long) i * MiB, ByteBuffer.wrap(chunk));
        }
        return v;
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://" + ApiServerAddress.of(server) + "/api/v1" + path))
                .header("Authorization", "Bearer " + token);
    }

    @Test
    void theExportIsTheEnginesStreamWithItsExactLength() throws Exception {
        Volume v = volumeWithData("vm1", 4);
        v.createSnapshot("s1");
        HttpResponse<byte[]> r = http.send(request("/volumes/vm1/snapshots/s1/export").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("application/octet-stream", r.headers().firstValue("Content-Type").orElse(""));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        BackupExport.of(pool, v.snapshot("s1"), null).writeTo(expected);
        assertArrayEquals(expected.toByteArray(), r.body());
        assertEquals(r.body().length, r.headers().firstValueAsLong("Content-Length").orElse(-1));
        // an incremental against a snapshot that is not older is refused up front
        v.createSnapshot("s2");
        HttpResponse<String> bad = http.send(request("/volumes/vm1/snapshots/s1/export?since=s2").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("not older"), bad.body());
    }

    @Test
    @Timeout(60) // the failure this guards against is a client left waiting forever
    void anExportWhoseSnapshotIsDeletedMidwayEndsShortAndFails() throws Exception {
        Volume v = volumeWithData("big", 64); // far more than the socket buffers hold
        v.createSnapshot("s1");
        HttpResponse<InputStream> r = http.send(request("/volumes/big/snapshots/s1/export").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        long length = r.headers().firstValueAsLong("Content-Length").orElseThrow();
        try (InputStream in = r.body()) {
            assertEquals(MiB, in.readNBytes(MiB).length);
            assertEquals(204, http.send(request("/volumes/big/snapshots/s1").DELETE().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
            IOException cut = assertThrows(IOException.class, () -> in.readAllBytes());
            assertTrue(length > 60L * MiB, "length " + length + "; " + cut);
        }
    }

    @Test
    void anUploadRefusedEarlyIsAnsweredWithItsProblem() throws Exception {
        Volume v = volumeWithData("vm1", 32);
        v.createSnapshot("s1");
        ByteArrayOutputStream full = new ByteArrayOutputStream();
        BackupExport.of(pool, v.snapshot("s1"), null).writeTo(full);
        // a full stream onto an existing volume: refused after the header, 32 MiB still on their way
        HttpResponse<String> r = http.send(request("/volumes/vm1/import").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(full.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(409, r.statusCode(), r.body());
        JsonNode problem = JSON.readTree(r.body());
        assertEquals("name-in-use", problem.path("code").asText());
        HttpResponse<String> type = http.send(request("/volumes/copy/import").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, type.statusCode());
        HttpResponse<String> noToken = http.send(HttpRequest.newBuilder(URI.create("http://" + ApiServerAddress.of(server)
                + "/api/v1/volumes/copy/import")).POST(HttpRequest.BodyPublishers.ofByteArray(full.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, noToken.statusCode());
        // and the same stream restores into a new volume, with a chunked body
        HttpResponse<String> ok = http.send(request("/volumes/copy/import").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(full.toByteArray()))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, ok.statusCode(), ok.body());
        assertEquals(32L * MiB, JSON.readTree(ok.body()).path("dataBytes").asLong());
        assertEquals(32L * MiB, pool.volume("copy").sizeBytes());
    }

    /** host:port of the server. */
    private static final class ApiServerAddress {
        static String of(ApiServer s) {
            return "127.0.0.1:" + s.address().getPort();
        }
    }
}
