package io.depot.nfs.mount;

import io.depot.nfs.rpc.Rpc;
import java.net.InetAddress;
import java.util.List;

/**
 * The exports MOUNT serves, implemented by the NFS layer. Called on RPC worker threads, possibly
 * concurrently; implementations must be thread-safe and may block briefly.
 */
public interface ExportTable {
    /** The export whose path is exactly {@code path}, or null. */
    Export find(String path);

    /**
     * The export that holds {@code path} below its own path (the longest such export), for a MNT of a
     * subdirectory: libnfs and QEMU mount the directory of the file a URL names. Null when none.
     */
    default Export findContaining(String path) { return null; }

    /**
     * The handle of the directory {@code relative} (slash-separated, inside {@code export}), or null
     * when it does not exist or is not a directory. Never leaves the export ("..", symlinks are not
     * followed).
     */
    default byte[] directoryHandle(Export export, String relative) { return null; }

    /** Every export, for EXPORT. */
    List<? extends Export> all();

    /** Whether {@code client} may mount {@code export} at all (read-only still counts). */
    boolean allows(Export export, InetAddress client);

    /** The NFSv3 file handle of the export's root directory, at most {@link Mount#FHSIZE3} bytes. */
    byte[] rootHandle(Export export);

    /** The auth flavors MNT announces for {@code export} (RFC 1813 §5.2.1), most preferred first. */
    default int[] authFlavors(Export export) { return new int[] {Rpc.AUTH_SYS}; }
}
