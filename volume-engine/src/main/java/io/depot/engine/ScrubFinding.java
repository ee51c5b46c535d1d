package io.depot.engine;

import java.util.List;

/**
 * A damaged extent found by a scrub: consecutive 4 KiB blocks of one cluster whose data does not
 * match its checksums, and everything that reads it.
 *
 * @param physicalOffset byte offset of the extent in the pool's data file
 * @param length         bytes (a multiple of 4 KiB)
 * @param references     the volume heads, snapshots and linked clones that read these bytes (the
 *                       first names where it was found); empty if none could be named any more
 */
public record ScrubFinding(long physicalOffset, long length, List<ScrubReference> references) {
    public ScrubFinding {
        references = List.copyOf(references);
    }
}
