package io.depot.nfs.nsm;

import io.depot.engine.Catalog;
import io.depot.engine.CatalogCodec;
import io.depot.engine.CatalogNamespace;
import io.depot.engine.DurabilityCallback;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status monitor's records in the pool's catalog, namespace {@code nsm}: our state number
 * ({@code state}) and one record per monitored host ({@code host/<normalised caller name>}).
 * Host changes are staged (durable with the pool's next commit, see {@link Catalog}); the state
 * number is written durably before Depot serves anything.
 */
final class NsmStore {
    private static final Logger log = LoggerFactory.getLogger(NsmStore.class);
    static final String NAMESPACE = "nsm";
    private static final String STATE = "state";
    private static final String HOSTS = "host/";

    private final Catalog catalog;
    private final CatalogNamespace<byte[]> records;

    NsmStore(Catalog catalog) {
        this.catalog = catalog;
        this.records = catalog.namespace(NAMESPACE, CatalogCodec.BYTES);
    }

    /** The state number last stored, or 0 when none was. */
    int storedState() {
        byte[] v = records.get(STATE);
        return v == null ? 0 : ByteBuffer.wrap(v).getInt();
    }

    /**
     * Stores the state number of a new start and returns it: odd while up, and larger than every
     * one handed out before (the next odd number; 1 on the first start). Durable when this returns.
     */
    int advanceState() {
        int next = nextUpState(storedState());
        records.put(STATE, ByteBuffer.allocate(4).putInt(next).array());
        return next;
    }

    /** The odd number after {@code previous} (1 again, rather than going negative, after 2^31 starts). */
    static int nextUpState(int previous) {
        int next = (previous & 1) == 1 ? previous + 2 : previous + 1;
        return next <= 0 ? 1 : next;
    }

    List<MonitoredHost> hosts() {
        List<MonitoredHost> out = new ArrayList<>();
        records.list(HOSTS).forEach((key, v) -> {
            try {
                out.add(MonitoredHost.decode(v));
            } catch (RuntimeException e) {
                log.warn("NSM: skipping the unreadable record {} of a monitored host ({}); that client is not told of this restart, "
                        + "so restart the programs that held locks from it", key, e.getMessage());
            }
        });
        return out;
    }

    /** Stages {@code host}'s record; returns the ticket that makes it durable. */
    long stage(MonitoredHost host) {
        return records.stage(Collections.singletonMap(HOSTS + host.key(), host.encode()));
    }

    /** Stages the removal of the record under {@code key}; returns its ticket. */
    long stageForget(String key) {
        return records.stage(Collections.singletonMap(HOSTS + key, null));
    }

    boolean isDurable(long ticket) { return catalog.isDurable(ticket); }

    void await(long ticket) { catalog.await(ticket); }

    void whenDurable(long ticket, DurabilityCallback callback) { catalog.whenDurable(ticket, callback); }
}
