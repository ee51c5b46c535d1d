package io.depot.nfs.rpc;

/** Who the caller says it is: the credential of a call after decoding (RFC 5531 §8.2, §10). */
public sealed interface Credential permits Credential.None, Credential.Sys {
    int flavor();

    /** AUTH_NONE: an anonymous caller. */
    record None() implements Credential {
        public static final None INSTANCE = new None();

        @Override
        public int flavor() { return Rpc.AUTH_NONE; }
    }

    /**
     * AUTH_SYS (RFC 5531 Appendix A): Unix ids the client asserts, not proof of anything. The
     * uid and gids are unsigned 32-bit on the wire; kept as Java ints with the same bits.
     */
    record Sys(int stamp, String machineName, int uid, int gid, int[] gids) implements Credential {
        public Sys {
            gids = gids.clone();
        }

        @Override
        public int[] gids() { return gids.clone(); }

        @Override
        public int flavor() { return Rpc.AUTH_SYS; }

        @Override
        public String toString() {
            return "AUTH_SYS(" + machineName + ", uid=" + Integer.toUnsignedString(uid) + ", gid="
                    + Integer.toUnsignedString(gid) + ", " + gids.length + " gids)";
        }
    }
}
