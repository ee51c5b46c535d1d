package io.depot.iscsi.fabric;

import io.depot.iscsi.fabric.login.ChapSecret;
import io.depot.iscsi.scsi.CommandLayer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One iSCSI target: a name initiators log in to, the SCSI device behind it (its LUN map), who may
 * log in (initiator names; empty means anyone) and the CHAP secrets it demands.
 */
public final class IscsiTarget {
    private final String name;
    private final CommandLayer commandLayer;
    private final Set<String> allowedInitiators = ConcurrentHashMap.newKeySet();
    private volatile String alias;
    private volatile ChapSecret chap;
    private volatile ChapSecret mutualChap;

    public IscsiTarget(String name, String alias, CommandLayer commandLayer) {
        this.name = name;
        this.alias = alias;
        this.commandLayer = commandLayer;
    }

    public String name() { return name; }

    public String alias() { return alias; }

    public void setAlias(String alias) { this.alias = alias; }

    public CommandLayer commandLayer() { return commandLayer; }

    /** Initiator names allowed to log in; empty means every initiator may. */
    public Set<String> allowedInitiators() { return allowedInitiators; }

    public boolean allows(String initiatorName) {
        return allowedInitiators.isEmpty() || allowedInitiators.contains(initiatorName);
    }

    /** The secret initiators must prove (one-way CHAP), or null for none. */
    public ChapSecret chap() { return chap; }

    /** The secret we prove to initiators that ask (mutual CHAP), or null. */
    public ChapSecret mutualChap() { return mutualChap; }

    public void setChap(ChapSecret chap, ChapSecret mutualChap) {
        if (mutualChap != null && chap == null) {
            throw new IllegalArgumentException("mutual CHAP needs one-way CHAP on target " + name);
        }
        this.chap = chap;
        this.mutualChap = mutualChap;
    }

    @Override
    public String toString() { return name; }
}
