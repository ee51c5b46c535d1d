package io.depot.nfs.fs;

/**
 * Who asks: the Unix identity a request runs as (AUTH_SYS ids after any squashing). The ids are
 * 32-bit unsigned values kept in Java ints with the same bits.
 */
public record Caller(int uid, int gid, int[] gids) {
    public static final Caller ROOT = new Caller(0, 0, new int[0]);
    /** The identity of an anonymous caller (AUTH_NONE) or a squashed root: nobody/nogroup. */
    public static final Caller NOBODY = new Caller(65534, 65534, new int[0]);

    public Caller {
        gids = gids.clone();
    }

    public boolean isRoot() { return uid == 0; }

    public boolean inGroup(int g) {
        if (gid == g) {
            return true;
        }
        for (int x : gids) {
            if (x == g) {
                return true;
            }
        }
        return false;
    }
}
