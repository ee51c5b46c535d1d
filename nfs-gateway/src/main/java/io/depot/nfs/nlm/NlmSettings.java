package io.depot.nfs.nlm;

import java.time.Duration;

/**
 * How the lock manager recovers and calls clients back.
 *
 * @param gracePeriod how long after a restart only reclaims are granted, when hosts held locks
 *                    before it. 90 s by default: Linux's lockd and most servers use it, clients
 *                    retry a refused lock every few seconds, and a client's status monitor needs a
 *                    few seconds to be told and start reclaiming. It ends early once every host
 *                    that held locks has reclaimed ({@link GracePeriod})
 * @param clientPortmapperPort where a client's portmapper listens (111; tests use another), asked
 *                    for the port of its lock manager to send NLM_GRANTED and *_RES to
 * @param callbackTimeout how long one callback may take before it counts as unanswered
 * @param callbackAttempts how many times a grant is offered to a client before the lock is released
 */
public record NlmSettings(Duration gracePeriod, int clientPortmapperPort, Duration callbackTimeout, int callbackAttempts) {
    /** Checks the values. */
    public NlmSettings {
        if (gracePeriod.isNegative() || callbackTimeout.isNegative() || callbackTimeout.isZero() || callbackAttempts < 1) {
            throw new IllegalArgumentException("grace " + gracePeriod + ", callback timeout " + callbackTimeout + ", attempts " + callbackAttempts);
        }
    }

    /** 90 s of grace, client portmappers on 111, callbacks answered within 5 s, three attempts. */
    public static NlmSettings defaults() {
        return new NlmSettings(Duration.ofSeconds(90), 111, Duration.ofSeconds(5), 3);
    }

    public NlmSettings withGracePeriod(Duration d) {
        return new NlmSettings(d, clientPortmapperPort, callbackTimeout, callbackAttempts);
    }

    public NlmSettings withClientPortmapperPort(int port) {
        return new NlmSettings(gracePeriod, port, callbackTimeout, callbackAttempts);
    }

    public NlmSettings withCallbacks(Duration timeout, int attempts) {
        return new NlmSettings(gracePeriod, clientPortmapperPort, timeout, attempts);
    }
}
