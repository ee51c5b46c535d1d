package io.depot.appliance.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads {@code depot.yaml} into a {@link DepotConfig}, strictly: an unknown key (a typo) or a bad
 * value stops the daemon with a message naming the file, the line and the key, e.g.
 * {@code depot.yaml line 4: pool.capcity: unknown key (known here: capacity, cluster-size, data-path)}.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private ConfigLoader() {}

    public static DepotConfig load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new ConfigException("configuration file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code name}: what messages call the source (a file name). An empty document is the default configuration. */
    public static DepotConfig read(InputStream in, String name) throws IOException {
        byte[] yaml = in.readAllBytes();
        Map<String, Integer> lines = new HashMap<>();
        try {
            if (!keyLines(yaml, lines)) {
                return DepotConfig.defaults();
            }
            return YAML.readValue(yaml, DepotConfig.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(describe(e, name, lines), e);
        }
    }

    /**
     * The line of every key and list item ("pool.capacity", "volumes[1]"). Jackson reports some
     * errors of records (unknown keys, checks in constructors) where the enclosing mapping ends;
     * this map puts them back on the line of their key. False for a document without content.
     */
    private static boolean keyLines(byte[] yaml, Map<String, Integer> lines) throws IOException {
        boolean any = false;
        try (JsonParser p = YAML.getFactory().createParser(yaml)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                any = true;
                JsonStreamContext ctx = p.getParsingContext();
                JsonStreamContext at = t == JsonToken.FIELD_NAME || t.isScalarValue() ? ctx
                        : t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY ? ctx.getParent() : null;
                if (at != null && (t == JsonToken.FIELD_NAME || at.inArray())) {
                    lines.putIfAbsent(path(at), p.currentTokenLocation().getLineNr());
                }
            }
        }
        return any;
    }

    private static String path(JsonStreamContext ctx) {
        Deque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) {
                parts.addFirst("." + c.getCurrentName());
            } else if (c.inArray() && c.getCurrentIndex() >= 0) {
                parts.addFirst("[" + c.getCurrentIndex() + "]");
            }
        }
        String p = String.join("", parts);
        return p.startsWith(".") ? p.substring(1) : p;
    }

    static String describe(JsonProcessingException e, String name, Map<String, Integer> lines) {
        JsonLocation at = e.getLocation();
        int line = at != null ? at.getLineNr() : -1;
        String key = e instanceof JsonMappingException jm ? keyPath(jm) : "";
        if (!key.isEmpty() && lines.containsKey(key)) {
            line = lines.get(key);
        }
        String where = name + (line > 0 ? " line " + line : "");
        if (!(e instanceof JsonMappingException m)) {
            return where + ": not valid YAML: " + e.getOriginalMessage();
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String known = new TreeSet<>(u.getKnownPropertyIds().stream().map(String::valueOf).toList()).stream()
                    .collect(Collectors.joining(", "));
            return where + ": " + key + ": unknown key (known here: " + known + ")";
        }
        Throwable cause = rootCause(e);
        if (cause instanceof IllegalArgumentException && (e instanceof ValueInstantiationException || e.getCause() != null)) {
            return where + ": " + (key.isEmpty() ? "" : key + ": ") + cause.getMessage();
        }
        if (e instanceof MismatchedInputException mi && mi.getTargetType() != null) {
            return where + ": " + (key.isEmpty() ? "the document" : key) + ": expected " + expected(mi.getTargetType());
        }
        return where + ": " + (key.isEmpty() ? "" : key + ": ") + m.getOriginalMessage();
    }

    /** pool.cluster-size, volumes[2].size: the path of the key as the file spells it. */
    private static String keyPath(JsonMappingException m) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                if (!b.isEmpty()) {
                    b.append('.');
                }
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    private static String expected(Class<?> type) {
        if (Collection.class.isAssignableFrom(type)) {
            return "a list (- item)";
        }
        if (type == DepotConfig.ByteSize.class) {
            return "a size such as 4096 or 20G";
        }
        if (type == Endpoint.class) {
            return "host:port, a port, or off";
        }
        if (type.isRecord()) {
            return "a mapping (key: value)";
        }
        return "a " + type.getSimpleName().toLowerCase(Locale.ROOT);
    }
}
