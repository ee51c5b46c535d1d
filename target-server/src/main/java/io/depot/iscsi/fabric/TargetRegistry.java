package io.depot.iscsi.fabric;

import io.depot.iscsi.fabric.login.ChapSecret;
import io.depot.iscsi.fabric.login.TargetCatalog;
import io.depot.iscsi.fabric.login.TargetEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/** The targets a server offers, by name; what login and SendTargets consult. */
public final class TargetRegistry implements TargetCatalog {
    private final Map<String, IscsiTarget> targets = new ConcurrentSkipListMap<>();
    private volatile Supplier<List<String>> portals = List::of;

    public void add(IscsiTarget target) {
        if (targets.putIfAbsent(target.name(), target) != null) {
            throw new IllegalArgumentException("target " + target.name() + " already exists");
        }
    }

    public IscsiTarget remove(String name) { return targets.remove(name); }

    public IscsiTarget get(String name) { return targets.get(name); }

    public List<IscsiTarget> list() { return List.copyOf(targets.values()); }

    /** SendTargets TargetAddress values ("host:port,tpgt"), set by the server once it listens. */
    void setPortals(Supplier<List<String>> portals) { this.portals = portals; }

    @Override
    public TargetEntry find(String targetName) {
        IscsiTarget t = targetName == null ? null : targets.get(targetName);
        return t == null ? null : entry(t);
    }

    @Override
    public List<TargetEntry> all() {
        List<TargetEntry> out = new ArrayList<>();
        for (IscsiTarget t : targets.values()) {
            out.add(entry(t));
        }
        return out;
    }

    private TargetEntry entry(IscsiTarget t) {
        return new TargetEntry() {
            @Override public String name() { return t.name(); }
            @Override public String alias() { return t.alias(); }
            @Override public boolean allowsInitiator(String initiatorName) { return t.allows(initiatorName); }
            @Override public ChapSecret chap() { return t.chap(); }
            @Override public ChapSecret mutualChap() { return t.mutualChap(); }
            @Override public List<String> portals() { return portals.get(); }
        };
    }
}
