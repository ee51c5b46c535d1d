package io.depot.engine;

import java.util.UUID;

/**
 * One thing that reads a damaged extent: a volume's head or one of its snapshots, possibly through a
 * linked clone's origin. The owner lets the layer above name what the volume is to its users (an NFS
 * file, a LUN's volume).
 *
 * @param volume     the volume's name
 * @param volumeUuid the volume's stable UUID
 * @param owner      who the volume belongs to
 * @param snapshot   the snapshot's name, or null for the volume's head
 * @param offset     byte offset of the extent's first byte in that volume or snapshot
 */
public record ScrubReference(String volume, UUID volumeUuid, VolumeOwner owner, String snapshot, long offset) {
    @Override
    public String toString() {
        return (snapshot == null ? volume : volume + "@" + snapshot) + " offset " + offset;
    }
}
