package io.depot.nfs.fs;

import java.util.List;

/** A piece of a directory listing; {@code eof} when it ends the directory. */
public record DirPage(List<DirEntry> entries, boolean eof) {}
