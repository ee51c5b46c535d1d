package io.depot.engine.sim;

/**
 * Thrown by a simulated store at and after the crash point. An {@link Error}, not an exception:
 * the process is gone, so the engine's recovery code for storage errors must not get to run as if
 * it had survived (a catch of {@code Throwable} can still swallow it; the simulation checks
 * {@link CrashSwitch#tripped()} after every operation for that reason).
 */
public final class SimulatedCrash extends Error {
    public SimulatedCrash() {
        super("simulated power cut", null, false, false);
    }
}
