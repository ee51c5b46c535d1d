package io.depot.nfs;

import io.depot.nfs.nfs3.NfsExport;
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
 */
public record NfsGatewaySettings(InetAddress bindAddress, int port, PortAdvertiser.Config portmapper, List<NfsExport> exports) {
    public static final int NFS_PORT = 2049;

    public NfsGatewaySettings {
        exports = List.copyOf(exports);
        if (exports.isEmpty()) {
            throw new IllegalArgumentException("an NFS gateway needs at least one export");
        }
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
        return new NfsGatewaySettings(bindAddress, p, portmapper, exports);
    }

    public NfsGatewaySettings withExports(List<NfsExport> e) {
        return new NfsGatewaySettings(bindAddress, port, portmapper, e);
    }

    public NfsGatewaySettings withPortmapper(PortAdvertiser.Config c) {
        return new NfsGatewaySettings(bindAddress, port, c, exports);
    }
}
