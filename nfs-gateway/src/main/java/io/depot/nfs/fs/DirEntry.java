package io.depot.nfs.fs;

/**
 * One directory entry of a listing. {@code cookie} resumes the listing after this entry; it stays
 * valid while the entry exists and keeps its place even when others are added or removed.
 * {@code attributes} is null when the entry vanished while the page was assembled.
 */
public record DirEntry(String name, long ino, long cookie, Inode attributes) {}
