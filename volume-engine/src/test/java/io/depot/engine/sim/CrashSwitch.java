package io.depot.engine.sim;

import java.util.Random;

/**
 * The moment of a simulated power cut, shared by the two simulated stores.
 *
 * <p>Armed with a count, it trips during the store call that changes durable state after that
 * many such calls (a block write, a force, a metadata batch). From then on every store call
 * throws {@link SimulatedCrash}: nothing the engine does after the crash point reaches a store.
 */
public final class CrashSwitch {
    private final Random random;
    private long countdown = -1;
    private boolean tripped;

    public CrashSwitch(Random random) {
        this.random = random;
    }

    /** The crash happens during the ({@code calls}+1)-th durable-state-changing store call from now. */
    public void armAfter(long calls) {
        countdown = calls;
        tripped = false;
    }

    /** Back to normal operation (after the crash image was taken, or when the armed operation ended). */
    public void reset() {
        countdown = -1;
        tripped = false;
    }

    public boolean tripped() { return tripped; }

    /** Randomness for decisions made at the crash point (was the metadata batch synced or not). */
    Random random() { return random; }

    /** Before a state-changing call: true if the crash happens during this very call. */
    boolean reachCall() {
        failIfTripped();
        if (countdown < 0) {
            return false;
        }
        if (countdown-- == 0) {
            tripped = true;
            return true;
        }
        return false;
    }

    /** Any call after the crash point never returns. */
    void failIfTripped() {
        if (tripped) {
            throw new SimulatedCrash();
        }
    }
}
