package io.depot.iscsi.fabric.login;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** An in-memory catalog of targets for login tests. */
final class TestTargets implements TargetCatalog {
    static final String INITIATOR = "iqn.2004-10.com.ubuntu:01:host1";
    static final String OTHER_INITIATOR = "iqn.1991-05.com.microsoft:win2022";
    static final String OPEN = "iqn.2026-01.io.depot:open";
    static final String CHAP = "iqn.2026-01.io.depot:chap";
    static final String MUTUAL = "iqn.2026-01.io.depot:mutual";
    static final String PRIVATE = "iqn.2026-01.io.depot:private";
    static final ChapSecret INITIATOR_SECRET = secret("host1", "initiator-secret-16");
    static final ChapSecret TARGET_SECRET = secret("depot", "target-secret-of-16");

    record Target(String name, String alias, Set<String> acl, ChapSecret chap, ChapSecret mutualChap,
                  List<String> portals) implements TargetEntry {
        @Override
        public boolean allowsInitiator(String initiatorName) {
            return acl.isEmpty() || acl.contains(initiatorName);
        }
    }

    private final List<TargetEntry> targets = new ArrayList<>();

    /** open (alias, everyone), chap (one-way), mutual (both ways), private (ACL: OTHER_INITIATOR only). */
    static TestTargets standard() {
        TestTargets t = new TestTargets();
        t.add(new Target(OPEN, "Depot open LUNs", Set.of(), null, null, List.of("127.0.0.1:3260,1", "[::1]:3260,1")));
        t.add(new Target(CHAP, null, Set.of(), INITIATOR_SECRET, null, List.of("127.0.0.1:3260,1")));
        t.add(new Target(MUTUAL, null, Set.of(), INITIATOR_SECRET, TARGET_SECRET, List.of("127.0.0.1:3260,1")));
        t.add(new Target(PRIVATE, null, Set.of(OTHER_INITIATOR), null, null, List.of("127.0.0.1:3260,1")));
        return t;
    }

    static ChapSecret secret(String user, String secret) {
        return new ChapSecret(user, secret.getBytes(StandardCharsets.UTF_8));
    }

    void add(TargetEntry target) {
        targets.add(target);
    }

    @Override
    public TargetEntry find(String targetName) {
        return targets.stream().filter(t -> t.name().equals(targetName)).findFirst().orElse(null);
    }

    @Override
    public List<TargetEntry> all() {
        return List.copyOf(targets);
    }
}
