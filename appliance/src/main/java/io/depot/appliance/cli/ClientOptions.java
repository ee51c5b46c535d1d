package io.depot.appliance.cli;

import io.depot.appliance.RuntimeFile;
import io.depot.appliance.api.ApiToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How a CLI command finds the API and its token. On the appliance host nothing is needed: the data
 * directory (default {@code data}, as for {@code depot serve}) holds the token and the runtime file
 * naming the API's address. Elsewhere: {@code --api URL} and {@code DEPOT_TOKEN}.
 */
public final class ClientOptions {
    static final String DEFAULT_API = "http://127.0.0.1:8421";

    @Option(names = "--data-dir", description = "Data directory of the local daemon, for its token and address "
            + "(default: $DEPOT_DATA_DIR or 'data').")
    Path dataDir;

    @Option(names = "--api", description = "API base URL, e.g. http://host:8421 (default: $DEPOT_API, else what the local "
            + "daemon wrote in its data directory, else " + DEFAULT_API + ").")
    String api;

    @Option(names = "--token-file", description = "File holding the API token (default: $DEPOT_TOKEN, else <data-dir>/api-token).")
    Path tokenFile;

    @Option(names = "--cacert", description = "PEM certificate(s) to trust for an https API (default: $DEPOT_CACERT, else the "
            + "certificate the local daemon wrote in its runtime file, else the system's trusted authorities).")
    Path cacert;

    @Option(names = "--json", description = "Print the API's JSON instead of a table.")
    boolean json;

    private RuntimeFile runtime;
    private boolean runtimeRead;

    /** What the local daemon wrote in its data directory (null if nothing). */
    private RuntimeFile runtime() {
        if (!runtimeRead) {
            runtimeRead = true;
            try {
                runtime = RuntimeFile.read(dataDir());
            } catch (IOException e) {
                throw new CliException(ExitCodes.UNREACHABLE, "cannot read " + dataDir().resolve(RuntimeFile.FILE) + ": " + e.getMessage());
            }
        }
        return runtime;
    }

    /**
     * The certificates an https API must present: --cacert / $DEPOT_CACERT, else the one the local
     * daemon published when talking to that daemon; null for the JDK's default trust store.
     */
    java.util.List<? extends java.security.cert.Certificate> trusted(String baseUrl) {
        Path file = cacert;
        if (file == null) {
            String env = System.getenv("DEPOT_CACERT");
            file = env != null && !env.isEmpty() ? Path.of(env) : null;
        }
        try {
            if (file != null) {
                try (var in = Files.newInputStream(file)) {
                    var certs = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in);
                    if (certs.isEmpty()) {
                        throw new CliException(ExitCodes.USAGE, file + " holds no PEM certificate");
                    }
                    return java.util.List.copyOf(certs);
                }
            }
            RuntimeFile run = runtime();
            if (run != null && run.apiCertificate() != null && baseUrl.equals(run.api())) {
                return java.util.List.copyOf(java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(
                        new java.io.ByteArrayInputStream(run.apiCertificate().getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
            }
            return null;
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read --cacert " + file + ": " + e.getMessage());
        } catch (java.security.cert.CertificateException e) {
            throw new CliException(ExitCodes.USAGE, (file != null ? file : "the runtime file's certificate") + " is not a PEM certificate: "
                    + e.getMessage());
        }
    }

    Path dataDir() {
        if (dataDir != null) {
            return dataDir;
        }
        String env = System.getenv("DEPOT_DATA_DIR");
        return Path.of(env != null && !env.isEmpty() ? env : "data");
    }

    String baseUrl() {
        if (api != null) {
            return strip(api);
        }
        String env = System.getenv("DEPOT_API");
        if (env != null && !env.isEmpty()) {
            return strip(env);
        }
        RuntimeFile run = runtime();
        return run != null && run.api() != null ? run.api() : DEFAULT_API;
    }

    String token() {
        if (tokenFile == null) {
            String env = System.getenv("DEPOT_TOKEN");
            if (env != null && !env.isEmpty()) {
                return env.trim();
            }
        }
        Path file = tokenFile != null ? tokenFile : dataDir().resolve(ApiToken.FILE);
        if (!Files.exists(file)) {
            throw new CliException(ExitCodes.AUTH, "no API token: " + file + " does not exist (depot serve makes it at first "
                    + "start; elsewhere set DEPOT_TOKEN or --token-file, or --data-dir to the daemon's data directory)");
        }
        try {
            return ApiToken.read(file);
        } catch (IOException e) {
            throw new CliException(ExitCodes.AUTH, "cannot read the API token from " + file + ": " + e.getMessage()
                    + " (it is readable by the daemon's user only)");
        }
    }

    private static String strip(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
