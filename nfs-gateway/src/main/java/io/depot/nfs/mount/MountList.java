package io.depot.nfs.mount;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Who has mounted what, for DUMP (showmount -a). Advisory by nature (RFC 1813 Appendix I: a
 * client that never unmounts stays listed), kept in memory and bounded so a client cannot grow
 * it without limit.
 */
public final class MountList {
    public record Entry(String host, String path) {}

    private final int maxEntries;
    private final LinkedHashSet<Entry> entries = new LinkedHashSet<>();

    public MountList(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    public synchronized void add(String host, String path) {
        Entry e = new Entry(host, path);
        entries.remove(e);
        entries.add(e);
        while (entries.size() > maxEntries) { // forget the oldest
            entries.remove(entries.iterator().next());
        }
    }

    public synchronized void remove(String host, String path) {
        entries.remove(new Entry(host, path));
    }

    public synchronized void removeAll(String host) {
        entries.removeIf(e -> e.host().equals(host));
    }

    public synchronized List<Entry> entries() {
        return new ArrayList<>(entries);
    }
}
