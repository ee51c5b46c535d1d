package io.depot.iscsi.fabric.login;

import java.util.Objects;

/**
 * A CHAP name and secret (RFC 7143 §12.1.3). RFC 7143 asks for secrets of at least 96 bits
 * (12 bytes) when the channel is not encrypted; that is a configuration rule left to the caller.
 * The secret is never printed.
 */
public record ChapSecret(String user, byte[] secret) {
    public ChapSecret {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(secret, "secret");
        if (user.isEmpty() || secret.length == 0) {
            throw new IllegalArgumentException("CHAP user and secret must not be empty");
        }
        secret = secret.clone();
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public String toString() {
        return "ChapSecret[user=" + user + ", secret=<hidden>]";
    }
}
