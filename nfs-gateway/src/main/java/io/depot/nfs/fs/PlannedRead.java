package io.depot.nfs.fs;

import io.depot.engine.ReadPlan;

/**
 * A READ described instead of copied, for a zero-copy send: {@code plan} covers exactly the
 * {@code count} bytes read (at most what is left of the file), {@code eof} says whether they reach
 * the end of the file, {@code attributes} are the file's when planned. The receiver owns the plan
 * and must close it once its bytes have left (or will never leave).
 */
public record PlannedRead(ReadPlan plan, int count, boolean eof, Inode attributes) {
    /**
     * The plan of {@code n} bytes at {@code offset} of file {@code cur}, or null (the plan closed)
     * when there is none or its bytes are not all in the page cache: a send from the event loop must
     * not wait for the disk, so such a read is copied by a worker instead.
     */
    static PlannedRead ifCached(ReadPlan plan, long offset, int n, Inode cur) {
        if (plan == null) {
            return null;
        }
        if (!plan.inPageCache()) {
            plan.close();
            return null;
        }
        return new PlannedRead(plan, n, offset + n >= cur.size(), cur);
    }
}
