package io.depot.appliance;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code <data-dir>/depot.run.json}: where a running daemon listens, written once everything is up
 * and removed at a clean shutdown. The CLI on the same host reads it to find the API by itself, and
 * tests wait for it to know the daemon is ready.
 *
 * @param api   base URL of the HTTP API, or null when it is off
 * @param iscsi bound iSCSI portal host:port, or null
 * @param nfs   bound NFS address host:port, or null
 * @param pid   the daemon's process id
 * @param apiCertificate the API's TLS certificate (PEM) when it speaks HTTPS: the local CLI trusts exactly it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RuntimeFile(String api, String iscsi, String nfs, long pid, String apiCertificate) {
    public RuntimeFile(String api, String iscsi, String nfs, long pid) {
        this(api, iscsi, nfs, pid, null);
    }

    public static final String FILE = "depot.run.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public void write(Path dataDir) throws IOException {
        Path tmp = dataDir.resolve(FILE + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), this);
        Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Null when no daemon has written one (or it stopped cleanly). */
    public static RuntimeFile read(Path dataDir) throws IOException {
        Path f = dataDir.resolve(FILE);
        return Files.exists(f) ? JSON.readValue(f.toFile(), RuntimeFile.class) : null;
    }

    public static void delete(Path dataDir) {
        try {
            Files.deleteIfExists(dataDir.resolve(FILE));
        } catch (IOException ignored) {
            // a stale file only makes the CLI try an address nobody listens on; it says so
        }
    }
}
