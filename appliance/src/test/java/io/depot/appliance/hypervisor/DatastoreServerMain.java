package io.depot.appliance.hypervisor;

import io.depot.appliance.api.ApiServer;
import io.depot.appliance.api.ApiToken;
import io.depot.appliance.daemon.Appliance;
import io.depot.appliance.api.DepotApi;
import io.depot.appliance.api.MetricsEndpoint;
import io.depot.appliance.metrics.DepotMetrics;
import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.nfs.NfsGateway;
import io.depot.nfs.NfsGatewaySettings;
import io.depot.nfs.fs.Datastore;
import io.depot.nfs.nfs3.ClientRule;
import io.depot.nfs.nfs3.NfsExport;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.fabric.IscsiSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's wiring ({@code depot serve}: pool, iSCSI target, NFS gateway, HTTP API) on the fixed
 * ports of a private network namespace, so that QEMU finds the portmapper on 111 and a restart gets
 * the same addresses back. The NFS export {@value #EXPORT} admits only the datastore network
 * {@value #DATASTORE_NET} (the API cannot configure exports yet).
 *
 * <p>Driven by lines on standard input, one answer line each on standard output:
 * <ul>
 *   <li>{@code api METHOD PATH [JSON]}: calls the HTTP API with the token, answers {@code HTTP status body};</li>
 *   <li>{@code nfs-snapshot EXPORT NAME}, {@code nfs-clone SRC DST}: the gateway's datastore operations;</li>
 * </ul>
 * It prints {@code READY} when serving and shuts down cleanly (printing {@code CLOSED}) when its input ends.
 * args: data directory.
 */
public final class DatastoreServerMain {
    static final String EXPORT = "/vmstore";
    static final String DATASTORE_NET = "10.9.0.0/24";
    static final int ISCSI_PORT = 3260;
    static final int API_PORT = 8421;

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]).toAbsolutePath();
        Path poolDir = dataDir.resolve("pool");
        Pool pool;
        if (Pool.exists(poolDir)) {
            pool = Pool.open(poolDir);
        } else {
            Files.createDirectories(poolDir);
            pool = Pool.create(poolDir, PoolOptions.ofCapacity(2L << 30));
        }
        IscsiService iscsi = new IscsiService(pool);
        iscsi.start(IscsiSettings.defaults().withPortal(new InetSocketAddress("0.0.0.0", ISCSI_PORT)));
        NfsGateway nfs = NfsGateway.start(pool, NfsGatewaySettings.defaults()
                .withExports(List.of(NfsExport.of(EXPORT).withRules(List.of(ClientRule.rw(DATASTORE_NET))))));
        ApiToken token = ApiToken.loadOrCreate(dataDir);
        ApiServer api = ApiServer.start(new InetSocketAddress("127.0.0.1", API_PORT), DepotApi.router(new Appliance(pool, iscsi, nfs)), token);
        DepotMetrics metrics = new DepotMetrics(pool, iscsi, nfs);   // as `depot serve`: /metrics beside the API
        api.serveMetrics(new MetricsEndpoint(metrics::scrape, DepotMetrics.CONTENT_TYPE));
        String bearer = "Bearer " + ApiToken.read(dataDir.resolve(ApiToken.FILE));
        HttpClient http = HttpClient.newHttpClient();
        System.out.println("READY iscsi=" + iscsi.address() + " nfs=" + nfs.address() + " portmapper=" + nfs.portmapperMode());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String answer;
            try {
                answer = handle(line.strip(), http, bearer, nfs);
            } catch (Exception e) {
                answer = "ERR " + e;
            }
            System.out.println(answer.replace('\n', ' '));
            System.out.flush();
        }
        api.close();
        metrics.close();
        nfs.close();
        iscsi.close();
        pool.close();
        System.out.println("CLOSED");
        System.out.flush();
    }

    private static String handle(String line, HttpClient http, String bearer, NfsGateway nfs) throws Exception {
        String[] w = line.split(" ", 4);
        switch (w[0]) {
            case "api" -> {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + API_PORT + "/api/v1" + w[2]))
                        .header("Authorization", bearer);
                if (w.length > 3) {
                    b.header("Content-Type", "application/json").method(w[1], HttpRequest.BodyPublishers.ofString(w[3]));
                } else {
                    b.method(w[1], HttpRequest.BodyPublishers.noBody());
                }
                HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                return "HTTP " + r.statusCode() + " " + r.body();
            }
            case "nfs-snapshot" -> {
                return "OK " + nfs.createExportSnapshot(w[1], w[2]);
            }
            case "nfs-clone" -> {
                return "OK " + nfs.cloneFile(w[1], w[2], Datastore.CloneMode.LINKED);
            }
            default -> {
                return "ERR unknown command: " + line;
            }
        }
    }
}
