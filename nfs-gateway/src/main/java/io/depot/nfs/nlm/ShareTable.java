package io.depot.nfs.nlm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Share reservations (NLM_SHARE / NLM_UNSHARE), the DOS-style whole-file open modes some clients
 * ask for: per file, at most one reservation per owner (a new SHARE by the same owner replaces its
 * reservation), none conflicting ({@link ShareReservation#conflictsWith}). Never blocks: a
 * conflicting SHARE is refused. Thread-safe; a leaf in the lock order.
 */
public final class ShareTable {
    private final Map<Long, List<ShareReservation>> files = new HashMap<>();

    /** Holds {@code s} (replacing its owner's reservation on the file) unless another owner's conflicts: then that one. */
    public synchronized Optional<ShareReservation> share(ShareReservation s) {
        List<ShareReservation> held = files.computeIfAbsent(s.fileId(), f -> new ArrayList<>());
        for (ShareReservation other : held) {
            if (other.conflictsWith(s)) {
                return Optional.of(other);
            }
        }
        held.removeIf(s::sameOwner);
        held.add(s);
        return Optional.empty();
    }

    /** Drops the reservation of {@code host}'s {@code owner} on the file; whether there was one. */
    public synchronized boolean unshare(long fileId, String host, byte[] owner) {
        List<ShareReservation> held = files.get(fileId);
        if (held == null) {
            return false;
        }
        ShareReservation probe = new ShareReservation(fileId, host, owner, 0, 0);
        boolean removed = held.removeIf(probe::sameOwner);
        if (held.isEmpty()) {
            files.remove(fileId);
        }
        return removed;
    }

    /** Drops every reservation of {@code host} (it rebooted, or sent FREE_ALL); how many. */
    public synchronized int releaseAll(String host) {
        int released = 0;
        var it = files.values().iterator();
        while (it.hasNext()) {
            List<ShareReservation> held = it.next();
            int before = held.size();
            held.removeIf(s -> s.host().equals(host));
            released += before - held.size();
            if (held.isEmpty()) {
                it.remove();
            }
        }
        return released;
    }

    /** A snapshot of every reservation. */
    public synchronized List<ShareReservation> all() {
        List<ShareReservation> out = new ArrayList<>();
        files.values().forEach(out::addAll);
        return out;
    }
}
