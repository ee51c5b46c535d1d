package io.depot.nfs.portmap;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Depot's registrations with a system portmapper, made so that another server's are never
 * touched. An entry is ours only if we registered it in this run, or if it is exactly (program,
 * version, netid, address, owner) an entry the {@link RegistrationLedger} recorded for a Depot
 * that is gone. Everything else in a slot we want (another server's, or one we cannot attribute)
 * is left alone and reported in {@link #refusals()}; nothing is judged by probing ports, which
 * from our network namespace may not be where the other server listens.
 */
final class SystemRegistration {
    /** A service Depot asked to advertise and the entry that stands for it. */
    record Wanted(PortAdvertiser.Service service, RpcbindEntry entry) {}

    private final List<RpcbindEntry> registered;
    private final List<String> refusals;

    private SystemRegistration(List<RpcbindEntry> registered, List<String> refusals) {
        this.registered = registered;
        this.refusals = refusals;
    }

    /**
     * Registers what of {@code wanted} can be registered without touching another server's
     * entries, replacing the stale entries {@code ledger} proves ours, and records the result in
     * the ledger.
     */
    static SystemRegistration register(Registrar r, RegistrationLedger ledger, List<Wanted> wanted) throws IOException {
        List<RpcbindEntry> before = r.dump();
        List<RpcbindEntry> stale = ledger.previous().stream().filter(p -> contains(before, p)).toList();
        Map<Wanted, String> refused = new LinkedHashMap<>();

        // 1. remove our stale entries, unless (v2) the removal would take another server's with them
        for (RpcbindEntry s : stale) {
            RpcbindEntry collateral = r.unsetTakesEveryTransport() ? foreignSibling(before, s, stale) : null;
            if (collateral == null) {
                r.unset(s);
            } else {
                for (Wanted w : wanted) {
                    if (w.entry().sameSlot(s)) {
                        refused.put(w, "is held by an entry an earlier Depot left (" + s + "), which cannot be removed over "
                                + "portmapper v2 without also removing another server's " + collateral);
                    }
                }
            }
        }
        // 2. take the free slots; a taken slot is another server's (ours were removed above)
        List<RpcbindEntry> now = stale.isEmpty() ? before : r.dump();
        for (Wanted w : wanted) {
            if (refused.containsKey(w)) {
                continue;
            }
            RpcbindEntry holder = inSlot(now, w.entry());
            if (holder == null && r.set(w.entry())) {
                continue;
            }
            if (holder == null) {
                holder = inSlot(r.dump(), w.entry()); // taken between our dump and our set
            }
            refused.put(w, holder == null ? "was refused by the portmapper" : "is already registered by another server ("
                    + (holder.owner().isEmpty() ? "" : "owner " + holder.owner() + ", ") + "port " + holder.port()
                    + (holder.port() == 0 ? ", address " + holder.address() : "") + ")");
        }
        // 3. what we hold now, with the owner rpcbind gave it: the record and what close() removes
        List<RpcbindEntry> after = r.dump();
        List<RpcbindEntry> ours = new ArrayList<>();
        for (Wanted w : wanted) {
            RpcbindEntry e = inSlot(after, w.entry());
            if (!refused.containsKey(w) && e != null && e.address().equals(w.entry().address()) && !contains(ours, e)) {
                ours.add(e);
            }
        }
        ledger.record(ours);
        List<String> refusals = new ArrayList<>();
        refused.forEach((w, why) -> refusals.add(w.service().name() + " v" + w.service().version() + " " + w.entry().netid()
                + " " + why + "; Depot's is on port " + w.service().port() + " but not advertised"));
        return new SystemRegistration(List.copyOf(ours), List.copyOf(refusals));
    }

    /** What we registered (with the owner rpcbind recorded). */
    List<RpcbindEntry> registered() {
        return registered;
    }

    /** One sentence per service not advertised, saying why. */
    List<String> refusals() {
        return refusals;
    }

    /**
     * Removes what we registered, each only while it is still exactly ours: an entry another
     * server put in its place after ours went is left. Returns what was left for that reason.
     */
    List<String> unregister(Registrar r) throws IOException {
        List<RpcbindEntry> now = r.dump();
        List<String> left = new ArrayList<>();
        for (RpcbindEntry e : registered) {
            RpcbindEntry holder = inSlot(now, e);
            if (holder == null) {
                continue;
            }
            RpcbindEntry collateral = r.unsetTakesEveryTransport() ? foreignSibling(now, e, registered) : null;
            if (!holder.sameRegistration(e)) {
                left.add(holder + " (not ours any more)");
            } else if (collateral != null) {
                left.add(e + " (removing it over portmapper v2 would also remove another server's " + collateral + ")");
            } else {
                r.unset(e);
            }
        }
        return left;
    }

    private static RpcbindEntry inSlot(List<RpcbindEntry> entries, RpcbindEntry slot) {
        return entries.stream().filter(slot::sameSlot).findFirst().orElse(null);
    }

    private static boolean contains(List<RpcbindEntry> entries, RpcbindEntry e) {
        return entries.stream().anyMatch(e::sameRegistration);
    }

    /** An entry of {@code e}'s program version on another transport that is not among {@code ours}. */
    private static RpcbindEntry foreignSibling(List<RpcbindEntry> all, RpcbindEntry e, List<RpcbindEntry> ours) {
        return all.stream()
                .filter(o -> o.program() == e.program() && o.version() == e.version() && !Objects.equals(o.netid(), e.netid()))
                .filter(o -> !contains(ours, o))
                .findFirst().orElse(null);
    }
}
