package io.depot.nfs.portmap;

import io.depot.nfs.xdr.XdrReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

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

    private static final int MAX_DUMP = 65536;

    /** A DUMP result (pmaplist, rpcblist_ptr): an optional-data linked list (RFC 4506 §4.19) of at most 65536 items. */
    static <T> List<T> readList(XdrReader r, Function<XdrReader, T> item, String who) throws IOException {
        List<T> out = new ArrayList<>();
        while (r.readOptional()) {
            if (out.size() == MAX_DUMP) {
                throw new IOException(who + " dump longer than " + MAX_DUMP);
            }
            out.add(item.apply(r));
        }
        return out;
    }
}
