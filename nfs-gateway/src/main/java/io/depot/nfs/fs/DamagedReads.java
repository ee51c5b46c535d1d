package io.depot.nfs.fs;

import io.depot.engine.DataCorruptionException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * READs that met damaged data (a block that failed its checksum). The engine logs each damaged
 * block with pool, volume and offset; here the operator learns which file it belongs to, once per
 * file at WARN (a client retrying the read does not flood the log), later reads at debug.
 */
final class DamagedReads {
    private static final Logger log = LoggerFactory.getLogger(DamagedReads.class);
    /** Files already reported; forgotten all at once past this many, so memory stays bounded. */
    private static final int REMEMBERED = 4096;
    private static final Set<String> reported = ConcurrentHashMap.newKeySet();

    private DamagedReads() {}

    /** The READ's answer (NFS3ERR_IO, never the data), after reporting it for file {@code ino} of {@code where}. */
    static FsException report(String where, long ino, DataCorruptionException e) {
        if (reported.size() >= REMEMBERED) {
            reported.clear();
        }
        if (reported.add(where + "/" + ino)) {
            log.warn("NFS READ of file inode {} ({}) hit damaged data at file offset {}: answered NFS3ERR_IO ({})",
                    ino, where, e.offset(), e.getMessage());
        } else {
            log.debug("NFS READ of file inode {} ({}) hit damaged data at file offset {} again", ino, where, e.offset());
        }
        return new FsException.IoError("damaged data in inode " + ino + " at offset " + e.offset(), e);
    }
}
