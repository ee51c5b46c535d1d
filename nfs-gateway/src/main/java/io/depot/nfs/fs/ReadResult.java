package io.depot.nfs.fs;

import java.nio.ByteBuffer;

/** Bytes read (possibly fewer than asked, at end of file), whether they reach the end, and the file's attributes. */
public record ReadResult(ByteBuffer data, boolean eof, Inode attributes) {}
