package io.depot.iscsi.scsi.xcopy;

import io.depot.iscsi.scsi.ItNexus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What RECEIVE COPY RESULTS / COPY STATUS reports: the state of recent copies by I_T nexus and
 * list identifier (list identifiers are unique per I_T nexus, SPC-4 §6.4.3.2). Bounded: the
 * oldest entries are forgotten first.
 */
final class CopyStatusTable {
    static final int IN_PROGRESS = 0x00, COMPLETED_GOOD = 0x01, COMPLETED_WITH_ERROR = 0x02;

    record Key(ItNexus nexus, int listId) {}

    record Status(int state, int segmentsProcessed, long bytesTransferred) {}

    private final Map<Key, Status> entries;

    CopyStatusTable(int capacity) {
        this.entries = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Status> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Marks {@code key} in progress; false if a copy with that list identifier is already running. */
    synchronized boolean begin(Key key) {
        Status s = entries.get(key);
        if (s != null && s.state() == IN_PROGRESS) {
            return false;
        }
        entries.remove(key); // re-insert so a reused identifier counts as newest
        entries.put(key, new Status(IN_PROGRESS, 0, 0));
        return true;
    }

    synchronized void finish(Key key, boolean ok, int segments, long bytes) {
        entries.put(key, new Status(ok ? COMPLETED_GOOD : COMPLETED_WITH_ERROR, segments, bytes));
    }

    synchronized Status get(Key key) {
        return entries.get(key);
    }
}
