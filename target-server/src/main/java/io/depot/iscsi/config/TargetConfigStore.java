package io.depot.iscsi.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.depot.engine.CatalogNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads and writes {@link TargetSpec}s in the pool catalog's {@code iscsi} namespace under {@code target/}. */
public final class TargetConfigStore {
    private static final String PREFIX = "target/";
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final CatalogNamespace<byte[]> iscsi;

    /** @param iscsi the catalog namespace of the iSCSI target ({@code pool.catalog().namespace("iscsi")}) */
    public TargetConfigStore(CatalogNamespace<byte[]> iscsi) {
        this.iscsi = iscsi;
    }

    public List<TargetSpec> load() {
        List<TargetSpec> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : iscsi.list(PREFIX).entrySet()) {
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
            iscsi.put(PREFIX + spec.name(), JSON.writeValueAsBytes(spec));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void delete(String name) {
        iscsi.delete(PREFIX + name);
    }
}
