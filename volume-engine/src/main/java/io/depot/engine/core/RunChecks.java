package io.depot.engine.core;

import io.depot.engine.DataCorruptionException;
import java.util.Arrays;

/**
 * The CRCs a run of the data file must match, gathered by a mapping walk cluster by cluster just
 * before it hands the run to a {@link ReadSink}, and what to name when a block does not match. One
 * per thread, reused: a walk fills it and the sink checks it before the walk moves on.
 */
final class RunChecks {
    private static final ThreadLocal<RunChecks> LOCAL = ThreadLocal.withInitial(RunChecks::new);

    private DamageLedger ledger;
    private VolumeState volume;
    private String snapshot;
    private long logical;
    private long position;
    private long base;
    private int blocks;
    private int[] expected = new int[64];
    private boolean[] known = new boolean[64];
    private boolean any;

    private RunChecks() {}

    /**
     * Starts the checks of a run that begins at byte {@code within} of a cluster at data file
     * {@code position}, and at {@code logical} in what is read ({@code volume}'s head, or its
     * {@code snapshot}).
     */
    static RunChecks start(DamageLedger ledger, VolumeState volume, String snapshot, long logical, long position, int within) {
        RunChecks c = LOCAL.get();
        c.ledger = ledger;
        c.volume = volume;
        c.snapshot = snapshot;
        c.logical = logical;
        c.position = position;
        c.base = position - within;
        c.blocks = 0;
        c.any = false;
        return c;
    }

    /** Appends the next cluster's CRCs from its cached page slot (none if its value has none). */
    RunChecks cluster(long value, MapPage page, int slot) {
        int n = page.blocks;
        grow(n);
        boolean has = MappingValue.hasChecksums(value);
        if (has) {
            System.arraycopy(page.crcs, slot * n, expected, blocks, n);
            any = true;
        }
        Arrays.fill(known, blocks, blocks + n, has);
        blocks += n;
        return this;
    }

    /** Appends the CRCs of a mapping seen through {@code slot} (none if its value has none; an overlay always has them). */
    RunChecks slot(OverlaySlot slot) {
        int n = slot.blocks();
        grow(n);
        boolean has = MappingValue.hasChecksums(slot.value());
        if (has) {
            System.arraycopy(slot.crcs(), slot.crcAt(), expected, blocks, n);
            any = true;
        }
        Arrays.fill(known, blocks, blocks + n, has);
        blocks += n;
        return this;
    }

    /** Appends the next cluster's CRCs from its stored value (none if it has none). */
    RunChecks cluster(long value, byte[] stored, int n) {
        grow(n);
        boolean has = MappingValue.hasChecksums(value) && MappingValue.decodeCrcs(stored, expected, blocks, n);
        any |= has;
        Arrays.fill(known, blocks, blocks + n, has);
        blocks += n;
        return this;
    }

    private void grow(int n) {
        if (blocks + n > expected.length) {
            int size = Math.max(expected.length * 2, blocks + n);
            expected = Arrays.copyOf(expected, size);
            known = Arrays.copyOf(known, size);
        }
    }

    /** True if any block of the run has a CRC to check. */
    boolean any() { return any; }

    /** Data file position of the first block of the run's first cluster. */
    long base() { return base; }

    boolean known(int block) { return block < blocks && known[block]; }

    int expected(int block) { return expected[block]; }

    /**
     * Records that the block at data file position {@code blockPosition} failed its check and
     * returns the exception to throw (offset: the first damaged byte this run was asked for).
     */
    DataCorruptionException damaged(long blockPosition) {
        long blockLogical = logical - (position - base) + (blockPosition - base);
        return ledger.readFailed(volume, snapshot, blockPosition, blockLogical, Math.max(blockLogical, logical));
    }

    /** Checks the whole block at data file {@code blockPosition} held in {@code buf} at absolute {@code at}. */
    void check(long blockPosition, java.nio.ByteBuffer buf, int at) {
        int b = (int) ((blockPosition - base) >>> BlockChecksums.SHIFT);
        if (known(b) && BlockChecksums.crc(buf, at, BlockChecksums.BLOCK) != expected[b]) {
            throw damaged(blockPosition);
        }
    }
}
