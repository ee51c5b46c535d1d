package io.depot.nfs.nfs3;

import io.depot.nfs.mount.Export;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;

/**
 * One exported directory of the datastore.
 *
 * @param path       what clients mount ("/" or "/datastore1"); the same path inside the datastore
 * @param clients    IPv4/IPv6 addresses or CIDR blocks allowed to mount; empty: everyone
 * @param readOnly   every change answers NFS3ERR_ROFS
 * @param rootSquash uid 0 is treated as nobody (65534); off by default, as hypervisors write as root
 */
public record NfsExport(String path, List<String> clients, boolean readOnly, boolean rootSquash) implements Export {
    public NfsExport {
        clients = List.copyOf(clients);
    }

    public static NfsExport of(String path) {
        return new NfsExport(path, List.of(), false, false);
    }

    /** Stable across restarts (it is in every file handle): a checksum of the path. */
    public int id() {
        CRC32 crc = new CRC32();
        crc.update(path.getBytes(StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }
}
