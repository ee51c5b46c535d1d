package io.depot.nfs.fs;

import java.time.Instant;

/**
 * One export-wide snapshot: every file of an export at one instant.
 *
 * @param id        datastore-wide number, never reused; in the file handles of its objects
 * @param exportRoot the inode of the export's directory when it was taken (also the frozen root)
 * @param name      what it is called under {@code <export>/.snapshots/}
 * @param created   when it was taken
 */
public record ExportSnapshot(int id, long exportRoot, String name, Instant created) {}
