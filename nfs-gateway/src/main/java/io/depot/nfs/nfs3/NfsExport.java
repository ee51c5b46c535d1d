package io.depot.nfs.nfs3;

import io.depot.nfs.mount.Export;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * One exported directory of the datastore and who may use it how.
 *
 * @param path    what clients mount ("/datastore1"); the same path inside the datastore
 * @param rules   the clients allowed, first match wins (exports(5) order); empty: everyone, read-write
 * @param squash  which AUTH_SYS identities become {@code anonUid/anonGid}
 * @param anonUid the uid squashed callers (and AUTH_NONE callers) act as
 * @param anonGid their gid
 */
public record NfsExport(String path, List<ClientRule> rules, Squash squash, int anonUid, int anonGid) implements Export {
    public static final int NOBODY = 65534;

    /** exports(5): root_squash, all_squash, no_root_squash (the default here: hypervisors write as root). */
    public enum Squash { NONE, ROOT, ALL }

    public NfsExport {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("export path " + path + " must start with '/'");
        }
        rules = List.copyOf(rules);
    }

    /** Everyone may read and write, as themselves. */
    public static NfsExport of(String path) {
        return new NfsExport(path, List.of(), Squash.NONE, NOBODY, NOBODY);
    }

    /** Everyone may read only. */
    public static NfsExport readOnly(String path) {
        return new NfsExport(path, List.of(ClientRule.ro("*")), Squash.NONE, NOBODY, NOBODY);
    }

    public NfsExport withRules(List<ClientRule> r) { return new NfsExport(path, r, squash, anonUid, anonGid); }

    public NfsExport withSquash(Squash s, int uid, int gid) { return new NfsExport(path, rules, s, uid, gid); }

    /** For EXPORT (showmount -e). */
    @Override
    public List<String> clients() {
        return rules.stream().map(ClientRule::toString).toList();
    }

    /** Stable across restarts (it is in every file handle): a checksum of the path. */
    public int id() {
        CRC32 crc = new CRC32();
        crc.update(path.getBytes(StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }

    /** The stored form: "squash=root;anonuid=65534;anongid=65534;rules=10.0.0.0/8(rw),*(ro)". */
    String encode() {
        return "squash=" + squash.name().toLowerCase() + ";anonuid=" + Integer.toUnsignedString(anonUid)
                + ";anongid=" + Integer.toUnsignedString(anonGid) + ";rules="
                + String.join(",", rules.stream().map(ClientRule::toString).toList());
    }

    static NfsExport decode(String path, String stored) {
        Squash squash = Squash.NONE;
        int uid = NOBODY;
        int gid = NOBODY;
        List<ClientRule> rules = new ArrayList<>();
        for (String field : stored.split(";")) {
            int eq = field.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String k = field.substring(0, eq);
            String v = field.substring(eq + 1);
            switch (k) {
                case "squash" -> squash = Squash.valueOf(v.toUpperCase());
                case "anonuid" -> uid = Integer.parseUnsignedInt(v);
                case "anongid" -> gid = Integer.parseUnsignedInt(v);
                case "rules" -> {
                    for (String r : v.split(",")) {
                        if (!r.isEmpty()) {
                            rules.add(ClientRule.parse(r));
                        }
                    }
                }
                default -> { } // a later version's field
            }
        }
        return new NfsExport(path, rules, squash, uid, gid);
    }
}
