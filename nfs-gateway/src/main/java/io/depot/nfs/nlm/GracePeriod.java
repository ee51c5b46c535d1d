package io.depot.nfs.nlm;

import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time after a restart in which clients that held locks take them back (LOCK with
 * {@code reclaim}) before anyone may take new ones: without it a new lock could be granted on a
 * range whose holder has not reclaimed yet. While it lasts, reclaims are granted (if nothing
 * conflicts), and new locks, TEST and non-reclaim SHARE are refused with DENIED_GRACE_PERIOD;
 * UNLOCK and CANCEL always work.
 *
 * <p>It lasts the configured length, or less: it ends early once every host known to have held
 * locks has reclaimed (or rebooted, losing its locks anyway) and no reclaim has come for a moment
 * ({@code settle}), as a client reclaims all its locks in one burst after its status monitor is
 * told. With no such host there is no grace period at all: a first start does not make anyone wait.
 *
 * <p>Thread-safe; checking it is a volatile read once it has ended.
 */
public final class GracePeriod {
    private static final Logger log = LoggerFactory.getLogger(GracePeriod.class);
    /** Quiet time after the last awaited host reclaimed before the grace period ends early. */
    static final Duration SETTLE = Duration.ofSeconds(2);

    private final LongSupplier clock;
    private final long endsAt;
    private final long settleNanos;
    private final Set<String> awaited = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile long lastProgress;

    private GracePeriod(Duration length, Collection<String> hosts, Duration settle, LongSupplier clock) {
        this.clock = clock;
        long now = clock.getAsLong();
        this.endsAt = now + length.toNanos();
        this.settleNanos = settle.toNanos();
        this.lastProgress = now;
        hosts.forEach(h -> awaited.add(HostNames.normalise(h)));
        if (awaited.isEmpty() || length.isZero()) {
            ended.set(true);
        }
    }

    /** No grace period: everything is served at once. */
    public static GracePeriod none() {
        return new GracePeriod(Duration.ZERO, Set.of(), SETTLE, System::nanoTime);
    }

    /**
     * A grace period of at most {@code length} that waits for {@code hostsThatHeldLocks} (as the
     * status monitor remembers them) to reclaim; none when that list is empty.
     */
    public static GracePeriod start(Duration length, Collection<String> hostsThatHeldLocks) {
        return start(length, hostsThatHeldLocks, SETTLE);
    }

    static GracePeriod start(Duration length, Collection<String> hostsThatHeldLocks, Duration settle) {
        GracePeriod g = new GracePeriod(length, hostsThatHeldLocks, settle, System::nanoTime);
        if (g.active()) {
            log.info("NLM grace period of {} s begins: only reclaims are granted until {} reclaim their locks",
                    length.toSeconds(), g.awaited);
        } else if (!hostsThatHeldLocks.isEmpty()) {
            log.info("no NLM grace period (configured as 0 s): {} may find their locks taken", hostsThatHeldLocks);
        }
        return g;
    }

    /** Whether new locks must still wait. Ends it (and logs so) once its time is up or every awaited host has reclaimed. */
    public boolean active() {
        if (ended.get()) {
            return false;
        }
        long now = clock.getAsLong();
        if (now - endsAt >= 0) {
            end("its time is up" + (awaited.isEmpty() ? "" : "; never reclaimed: " + awaited));
        } else if (awaited.isEmpty() && now - lastProgress >= settleNanos) {
            end("every host that held locks has reclaimed");
        }
        return !ended.get();
    }

    /**
     * Whether a LOCK or SHARE from {@code host} may be served now: any once the grace period has
     * ended, only a reclaim (which counts as the host's) while it lasts.
     */
    public boolean admits(boolean reclaim, String host) {
        if (!active()) {
            return true;
        }
        if (reclaim) {
            reclaimed(host);
        }
        return reclaim;
    }

    /** A reclaim came from {@code host}. */
    public void reclaimed(String host) {
        lastProgress = clock.getAsLong();
        awaited.remove(HostNames.normalise(host));
    }

    /** {@code host} rebooted (or freed all its locks): it has nothing left to reclaim. */
    public void hostGone(String host) {
        if (awaited.remove(HostNames.normalise(host))) {
            lastProgress = clock.getAsLong();
        }
    }

    /** Ends it now (an operator's decision). */
    public void endNow() {
        end("ended by request");
    }

    /** The hosts that held locks and have not reclaimed yet. */
    public Set<String> awaiting() {
        return Set.copyOf(awaited);
    }

    private void end(String why) {
        if (ended.compareAndSet(false, true)) {
            log.info("NLM grace period ended ({}): new locks are granted again", why);
        }
    }
}
