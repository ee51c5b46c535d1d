package io.depot.nfs.fs;

/** How durable a write must be before it is acknowledged (RFC 1813 §3.3.7 stable_how). */
public enum Stability {
    /** Acknowledged once applied; durable after the next commit. */
    UNSTABLE,
    /** The data and the metadata needed to read it back (the file size) are durable. */
    DATA_SYNC,
    /** Data and all metadata are durable. */
    FILE_SYNC
}
