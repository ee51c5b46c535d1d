package io.depot.iscsi.fabric.login;

import java.util.List;

/** The targets this portal group serves, as login and SendTargets see them. */
public interface TargetCatalog {
    /** The target with this iSCSI name, or null when there is none. */
    TargetEntry find(String targetName);

    /** Every target, in the order SendTargets=All lists them. */
    List<TargetEntry> all();
}
