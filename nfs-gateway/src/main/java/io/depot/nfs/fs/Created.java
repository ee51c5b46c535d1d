package io.depot.nfs.fs;

/** A new directory entry: the object it names, and its directory before and after. */
public record Created(Inode object, Change directory) {}
