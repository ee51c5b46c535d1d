package io.depot.appliance.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's bearer token: 32 random bytes made at first start and kept in {@code <data-dir>/api-token},
 * readable by its owner only (0600), so whoever can read the pool's directory can drive the API
 * and nobody else can. The CLI on the same host reads the same file.
 */
public final class ApiToken {
    private static final Logger log = LoggerFactory.getLogger(ApiToken.class);
    public static final String FILE = "api-token";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final byte[] token;

    private ApiToken(String token) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads the token file of {@code dataDir}, creating it (0600, from the start: never readable by others) if missing. */
    public static ApiToken loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (!Files.exists(file)) {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            String fresh = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            Files.createDirectories(dataDir);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                Files.writeString(file, fresh + "\n", StandardOpenOption.WRITE, StandardOpenOption.SYNC);
                log.info("created the API token in {} (owner-readable only)", file);
            } catch (FileAlreadyExistsException raced) {
                // another process made it first: use theirs
            }
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY.containsAll(perms)) {
            log.warn("{} was readable by others ({}); making it owner-only", file, PosixFilePermissions.toString(perms));
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        }
        return new ApiToken(read(file));
    }

    /** The token text of an existing file (the CLI's side). */
    public static String read(Path file) throws IOException {
        String t = Files.readString(file, StandardCharsets.US_ASCII).trim();
        if (t.isEmpty()) {
            throw new IOException(file + " is empty; delete it and restart depot serve to make a new token");
        }
        return t;
    }

    /** True if an Authorization header carries this token; compared in constant time. */
    public boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] offered = authorization.substring(7).trim().getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(offered, token);
    }
}
