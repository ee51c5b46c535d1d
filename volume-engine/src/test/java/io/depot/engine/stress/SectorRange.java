package io.depot.engine.stress;

/** A run of 512-byte sectors of a volume: {@code first} and {@code count}. */
record SectorRange(long first, int count) {
    static final int SECTOR = 512;

    long end() { return first + count; }

    long last() { return first + count - 1; }

    long byteOffset() { return first * SECTOR; }

    int byteLength() { return count * SECTOR; }

    boolean contains(long sector) { return sector >= first && sector < end(); }

    @Override
    public String toString() { return "sectors " + first + ".." + last(); }
}
