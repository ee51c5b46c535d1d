package io.depot.nfs.fs;

/** An object's attributes before and after an operation (what NFSv3 calls weak cache consistency data). */
public record Change(Inode before, Inode after) {}
