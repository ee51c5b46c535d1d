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

    @Option(names = "--json", description = "Print the API's JSON instead of a table.")
    boolean json;

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
        try {
            RuntimeFile run = RuntimeFile.read(dataDir());
            if (run != null && run.api() != null) {
                return run.api();
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "cannot read " + dataDir().resolve(RuntimeFile.FILE) + ": " + e.getMessage());
        }
        return DEFAULT_API;
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
