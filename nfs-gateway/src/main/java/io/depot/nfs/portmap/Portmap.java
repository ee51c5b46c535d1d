package io.depot.nfs.portmap;

/** Numbers of the portmapper protocol, version 2 (RFC 1833 §3), and of rpcbind v3/v4 we use as a client. */
public final class Portmap {
    private Portmap() {}

    public static final int PROGRAM = 100000;
    public static final int VERSION = 2;
    public static final int DEFAULT_PORT = 111;

    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;

    public static final int PROC_NULL = 0;
    public static final int PROC_SET = 1;
    public static final int PROC_UNSET = 2;
    public static final int PROC_GETPORT = 3;
    public static final int PROC_DUMP = 4;
    public static final int PROC_CALLIT = 5;

    /** rpcbind version 4 (RFC 1833 §2), spoken to a system rpcbind over its Unix socket. */
    public static final int RPCBIND_V4 = 4;
    public static final int RPCBPROC_SET = 1;
    public static final int RPCBPROC_UNSET = 2;
    public static final int RPCBPROC_GETADDR = 3;
    public static final int RPCBPROC_DUMP = 4;

    /** Where Linux's rpcbind listens for local registrations (checked with SO_PEERCRED). */
    public static final String RPCBIND_SOCKET = "/run/rpcbind.sock";
}
