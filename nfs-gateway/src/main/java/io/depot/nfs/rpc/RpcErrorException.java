package io.depot.nfs.rpc;

/**
 * A call refused at the RPC level by a handler: GARBAGE_ARGS, SYSTEM_ERR, or an authentication
 * error such as AUTH_TOOWEAK (an export that demands AUTH_SYS seeing AUTH_NONE).
 */
public final class RpcErrorException extends RuntimeException {
    private final boolean denied;
    private final int stat;

    private RpcErrorException(boolean denied, int stat, String message) {
        super(message, null, false, false);
        this.denied = denied;
        this.stat = stat;
    }

    public static RpcErrorException garbageArgs(String why) {
        return new RpcErrorException(false, Rpc.GARBAGE_ARGS, why);
    }

    public static RpcErrorException systemError(String why) {
        return new RpcErrorException(false, Rpc.SYSTEM_ERR, why);
    }

    /** A MSG_DENIED / AUTH_ERROR reply with the given auth_stat. */
    public static RpcErrorException authError(int authStat, String why) {
        return new RpcErrorException(true, authStat, why);
    }

    /** True for MSG_DENIED (auth error), false for an accepted reply with a non-SUCCESS status. */
    public boolean denied() { return denied; }

    /** The auth_stat when {@link #denied()}, the accept_stat otherwise. */
    public int stat() { return stat; }
}
