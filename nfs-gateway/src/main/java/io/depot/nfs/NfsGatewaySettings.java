package io.depot.nfs;

import io.depot.nfs.nfs3.NfsExport;
import io.depot.nfs.nlm.NlmSettings;
import io.depot.nfs.portmap.PortAdvertiser;
import java.net.InetAddress;
import java.util.List;

/**
 * How the NFS gateway listens and what it exports.
 *
 * @param bindAddress where NFS and MOUNT listen (null: every address)
 * @param port        the TCP port of NFS and MOUNT together (2049 by convention; 0: any free port)
 * @param portmapper  where the portmapper is (see {@link PortAdvertiser})
 * @param exports     the exported directories of the datastore (made if missing)
 * @param locking     the lock manager's grace period and client callbacks (see {@link NlmSettings})
 */
public record NfsGatewaySettings(InetAddress bindAddress, int port, PortAdvertiser.Config portmapper, List<NfsExport> exports,
                                 NlmSettings locking) {
    public static final int NFS_PORT = 2049;

    public NfsGatewaySettings {
        exports = List.copyOf(exports);
        if (exports.isEmpty()) {
            throw new IllegalArgumentException("an NFS gateway needs at least one export");
        }
        java.util.Objects.requireNonNull(locking, "locking");
    }

    /** Settings with the lock manager's defaults ({@link NlmSettings#defaults}). */
    public NfsGatewaySettings(InetAddress bindAddress, int port, PortAdvertiser.Config portmapper, List<NfsExport> exports) {
        this(bindAddress, port, portmapper, exports, NlmSettings.defaults());
    }

    /**
     * Everything on port 2049, the portmapper on 111, one export "/depot" for everyone. Not "/":
     * libnfs (and so QEMU) splits nfs://host/dir/file into export and file at the last slash, and
     * refuses the empty export that nfs://host/file gives.
     */
    public static NfsGatewaySettings defaults() {
        return new NfsGatewaySettings(null, NFS_PORT, PortAdvertiser.Config.defaults(), List.of(NfsExport.of("/depot")));
    }

    public NfsGatewaySettings withPort(int p) {
        return new NfsGatewaySettings(bindAddress, p, portmapper, exports, locking);
    }

    public NfsGatewaySettings withExports(List<NfsExport> e) {
        return new NfsGatewaySettings(bindAddress, port, portmapper, e, locking);
    }

    public NfsGatewaySettings withPortmapper(PortAdvertiser.Config c) {
        return new NfsGatewaySettings(bindAddress, port, c, exports, locking);
    }

    public NfsGatewaySettings withLocking(NlmSettings l) {
        return new NfsGatewaySettings(bindAddress, port, portmapper, exports, l);
    }
}
