package io.depot.engine;

import java.nio.charset.StandardCharsets;

/**
 * How a {@link CatalogNamespace} stores its values as bytes. A codec must round-trip:
 * {@code decode(encode(v))} equals {@code v}.
 */
public interface CatalogCodec<V> {
    /** Raw bytes, for callers that encode their values themselves. */
    CatalogCodec<byte[]> BYTES = new CatalogCodec<>() {
        @Override
        public byte[] encode(byte[] value) { return value; }

        @Override
        public byte[] decode(byte[] bytes) { return bytes; }
    };

    /** Text as UTF-8. */
    CatalogCodec<String> UTF8 = new CatalogCodec<>() {
        @Override
        public byte[] encode(String value) { return value.getBytes(StandardCharsets.UTF_8); }

        @Override
        public String decode(byte[] bytes) { return new String(bytes, StandardCharsets.UTF_8); }
    };

    byte[] encode(V value);

    V decode(byte[] bytes);
}
