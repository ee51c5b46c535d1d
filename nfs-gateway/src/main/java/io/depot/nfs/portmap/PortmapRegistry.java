package io.depot.nfs.portmap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/** The mappings the embedded portmapper answers from (RFC 1833 §3.2 semantics). */
public final class PortmapRegistry {
    private record Key(int program, int version, int protocol) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Integer.compareUnsigned(program, o.program);
            if (c == 0) {
                c = Integer.compareUnsigned(version, o.version);
            }
            return c != 0 ? c : Integer.compare(protocol, o.protocol);
        }
    }

    private final ConcurrentSkipListMap<Key, Integer> ports = new ConcurrentSkipListMap<>();

    /** PMAPPROC_SET: refused (false) when the triple is already mapped to another port. */
    public synchronized boolean set(Mapping m) {
        Key k = new Key(m.program(), m.version(), m.protocol());
        Integer old = ports.get(k);
        if (old != null) {
            return old == m.port();
        }
        ports.put(k, m.port());
        return true;
    }

    /** PMAPPROC_UNSET: removes every protocol of the program version; the port is ignored. */
    public synchronized boolean unset(int program, int version) {
        boolean any = false;
        for (Key k : List.copyOf(ports.keySet())) {
            if (k.program() == program && k.version() == version) {
                ports.remove(k);
                any = true;
            }
        }
        return any;
    }

    /** PMAPPROC_GETPORT: 0 when not registered. */
    public int getPort(int program, int version, int protocol) {
        Integer p = ports.get(new Key(program, version, protocol));
        return p == null ? 0 : p;
    }

    /** PMAPPROC_DUMP. */
    public List<Mapping> all() {
        List<Mapping> out = new ArrayList<>();
        for (Map.Entry<Key, Integer> e : ports.entrySet()) {
            out.add(new Mapping(e.getKey().program(), e.getKey().version(), e.getKey().protocol(), e.getValue()));
        }
        return out;
    }
}
