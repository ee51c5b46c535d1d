package io.depot.engine;

import java.time.Instant;
import java.util.UUID;

/**
 * One 4 KiB block of the pool whose data failed its checksum, as first found.
 *
 * @param physicalOffset byte offset of the block in the pool's data file (its identity: the same
 *                       block seen through a snapshot and the head is one damaged block)
 * @param volume         the volume it was found through (name when found)
 * @param volumeUuid     that volume's stable UUID
 * @param snapshot       the snapshot it was found through, or null (the head)
 * @param offset         byte offset of the block in that volume or snapshot
 * @param detected       when it was first found
 * @param foundBy        {@code "read"} (a client's or an export's read) or {@code "scrub"}
 */
public record DamagedBlock(long physicalOffset, String volume, UUID volumeUuid, String snapshot, long offset,
                           Instant detected, String foundBy) {
    /** Size of a checksummed block. */
    public static final int SIZE = 4096;
}
