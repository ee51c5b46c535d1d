package io.depot.nfs.mount;

import java.util.List;

/** What MOUNT needs to know about one export; the NFS layer's export type implements it. */
public interface Export {
    /** The path clients mount, e.g. "/datastore1". */
    String path();

    /**
     * The client specifications shown by EXPORT (showmount -e), e.g. "*", "10.0.0.0/8",
     * "esx1.example"; empty means everyone. For display only: {@link ExportTable#allows} decides.
     */
    default List<String> clients() { return List.of(); }
}
