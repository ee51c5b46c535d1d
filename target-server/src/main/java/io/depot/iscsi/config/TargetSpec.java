package io.depot.iscsi.config;

import java.util.List;

/**
 * The persisted description of one iSCSI target: what survives a restart. Kept in the pool's
 * settings (so it moves with the pool), one JSON document per target.
 *
 * @param name               target IQN
 * @param alias              TargetAlias sent at login, or null
 * @param allowedInitiators  initiator names allowed to log in; empty means anyone
 * @param chap               secret initiators must prove, or null for no CHAP
 * @param mutualChap         secret the target proves to initiators that ask, or null
 * @param luns               LUN map
 */
public record TargetSpec(String name, String alias, List<String> allowedInitiators, ChapSpec chap, ChapSpec mutualChap,
                         List<LunSpec> luns) {
    public TargetSpec {
        allowedInitiators = allowedInitiators == null ? List.of() : List.copyOf(allowedInitiators);
        luns = luns == null ? List.of() : List.copyOf(luns);
    }

    /** A CHAP user name and secret. Secrets are stored in the pool's metadata: keep the pool directory owner-only. */
    public record ChapSpec(String user, String secret) {}

    /**
     * One LUN: a volume (read-write) or, when {@code snapshot} is set, one of its snapshots (read-only).
     *
     * @param lun      LUN number, 0..16383
     * @param volume   volume UUID (stable across renames)
     * @param snapshot snapshot UUID, or null
     */
    public record LunSpec(long lun, java.util.UUID volume, java.util.UUID snapshot) {}
}
