package io.depot.nfs.portmap;

import java.io.IOException;
import java.util.List;

/**
 * A system portmapper as Depot registers with it: rpcbind version 4 through its Unix socket
 * ({@link RpcbindLocalClient}) or portmapper version 2 over TCP ({@link PortmapRegistrar}).
 */
interface Registrar extends AutoCloseable {
    /** Every registration it holds. */
    List<RpcbindEntry> dump() throws IOException;

    /** Registers {@code entry}; false when its slot is taken (rpcbind never overwrites). */
    boolean set(RpcbindEntry entry) throws IOException;

    /** Removes the entry's slot, or, when {@link #unsetTakesEveryTransport}, every transport of its program version. */
    boolean unset(RpcbindEntry entry) throws IOException;

    /** Portmapper v2's UNSET has no protocol: it removes the program version on TCP and UDP alike. */
    boolean unsetTakesEveryTransport();

    /** For log lines: "the system rpcbind (through /run/rpcbind.sock)". */
    String describe();

    @Override
    void close();
}
