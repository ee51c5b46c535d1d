package io.depot.iscsi.fabric.login;

import java.util.List;

/** One target as login sees it: name, alias, ACL, CHAP secrets and SendTargets addresses. */
public interface TargetEntry {
    String name();

    /** The TargetAlias we declare, or null for none. */
    String alias();

    /** Whether this initiator IQN may log in to (and discover) this target. */
    boolean allowsInitiator(String initiatorName);

    /** The secret the initiator must prove, or null when this target needs no CHAP. */
    ChapSecret chap();

    /** The secret we prove to the initiator when it asks for mutual CHAP, or null for none. */
    ChapSecret mutualChap();

    /** SendTargets TargetAddress values, "host:port,tpgt" (IPv6 hosts in brackets). */
    List<String> portals();
}
