package io.depot.nfs.fs;

/** A new hard link: the file after (its link count went up) and the directory before and after. */
public record Linked(Inode file, Change directory) {}
