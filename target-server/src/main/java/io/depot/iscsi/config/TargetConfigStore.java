package io.depot.iscsi.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.engine.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads and writes {@link TargetSpec}s in a pool's durable settings under {@code iscsi/target/}. */
public final class TargetConfigStore {
    private static final String PREFIX = "iscsi/target/";
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Settings settings;

    public TargetConfigStore(Settings settings) {
        this.settings = settings;
    }

    public List<TargetSpec> load() {
        List<TargetSpec> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : settings.list(PREFIX).entrySet()) {
            try {
                out.add(JSON.readValue(e.getValue(), TargetSpec.class));
            } catch (IOException ex) {
                throw new UncheckedIOException("the stored configuration of " + e.getKey() + " is unreadable", ex);
            }
        }
        return out;
    }

    /** Durably stores (or replaces) a target's description. */
    public void save(TargetSpec spec) {
        try {
            settings.put(PREFIX + spec.name(), JSON.writeValueAsBytes(spec));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void delete(String name) {
        settings.delete(PREFIX + name);
    }
}
