package io.depot.engine.crash;

/**
 * The fixed shape of the crash pool, shared by the worker that writes it and the test that checks it.
 *
 * <p>Writes land only in a few <em>zones</em> of each volume (the footprint), so the checker can afford
 * to verify every written sector after every crash, and everything outside the footprint must read
 * zeros. The zones are placed to cross interesting boundaries: the start of the volume, a mapping-page
 * boundary (1024 clusters of 64 KiB = 64 MiB), a range not aligned to clusters, and the volume's end.
 */
final class CrashLayout {
    private CrashLayout() {}

    static final int SECTOR = 512;
    static final int CLUSTER_SIZE = 64 * 1024;
    static final int VOLUMES = 3;
    static final long VOLUME_SIZE = 256L << 20;
    static final long POOL_CAPACITY = 4L << 30;
    static final long VOLUME_SECTORS = VOLUME_SIZE / SECTOR;

    /** Zone start offsets and lengths in bytes; multiples of 512, non-overlapping, ascending. */
    private static final long[] ZONE_OFFSET = {0, (64L << 20) - (512 << 10), (130L << 20) + 3584, 200L << 20, VOLUME_SIZE - (1 << 20)};
    private static final long[] ZONE_LENGTH = {12L << 20, 1L << 20, 1L << 20, 1L << 20, 1L << 20};
    /** Share of writes aimed at each zone, in percent. */
    private static final int[] ZONE_WEIGHT = {80, 5, 5, 5, 5};

    /** Footprint index of each zone's first sector. */
    private static final int[] ZONE_FIRST_INDEX = new int[ZONE_OFFSET.length];
    /** Sectors in the footprint of one volume. */
    static final int FOOTPRINT_SECTORS;

    static {
        int index = 0;
        for (int z = 0; z < ZONE_OFFSET.length; z++) {
            ZONE_FIRST_INDEX[z] = index;
            index += (int) (ZONE_LENGTH[z] / SECTOR);
        }
        FOOTPRINT_SECTORS = index;
    }

    static String volumeName(int volume) { return "crash" + volume; }

    static int zones() { return ZONE_OFFSET.length; }

    static long zoneOffset(int zone) { return ZONE_OFFSET[zone]; }

    static long zoneLength(int zone) { return ZONE_LENGTH[zone]; }

    /** A zone drawn by weight from {@code percent} in [0, 100). */
    static int zoneForPercent(int percent) {
        int acc = 0;
        for (int z = 0; z < ZONE_WEIGHT.length; z++) {
            acc += ZONE_WEIGHT[z];
            if (percent < acc) {
                return z;
            }
        }
        return ZONE_WEIGHT.length - 1;
    }

    /** The footprint index of a volume sector, or -1 when the sector lies outside every zone. */
    static int footprintIndex(long sector) {
        long offset = sector * SECTOR;
        for (int z = 0; z < ZONE_OFFSET.length; z++) {
            if (offset >= ZONE_OFFSET[z] && offset < ZONE_OFFSET[z] + ZONE_LENGTH[z]) {
                return ZONE_FIRST_INDEX[z] + (int) ((offset - ZONE_OFFSET[z]) / SECTOR);
            }
        }
        return -1;
    }

    /** The volume sector of a footprint index. */
    static long sectorOf(int footprintIndex) {
        for (int z = ZONE_OFFSET.length - 1; z >= 0; z--) {
            if (footprintIndex >= ZONE_FIRST_INDEX[z]) {
                return ZONE_OFFSET[z] / SECTOR + (footprintIndex - ZONE_FIRST_INDEX[z]);
            }
        }
        throw new IllegalArgumentException("footprint index " + footprintIndex);
    }

    /** True if [offset, offset+length) shares a sector with some zone. */
    static boolean touchesFootprint(long offset, long length) {
        for (int z = 0; z < ZONE_OFFSET.length; z++) {
            if (offset < ZONE_OFFSET[z] + ZONE_LENGTH[z] && ZONE_OFFSET[z] < offset + length) {
                return true;
            }
        }
        return false;
    }

    /** True if [offset, offset+length) lies inside a single zone (every write and unmap does). */
    static boolean insideOneZone(long offset, long length) {
        for (int z = 0; z < ZONE_OFFSET.length; z++) {
            if (offset >= ZONE_OFFSET[z] && offset + length <= ZONE_OFFSET[z] + ZONE_LENGTH[z]) {
                return true;
            }
        }
        return false;
    }
}
