package io.packetlens.ebpf.info;

import io.packetlens.ebpf.sys.Clocks;

import java.time.Instant;

/**
 * CLOCK_MONOTONIC, the clock of {@code bpf_ktime_get_ns()}, which kernel programs stamp their records with, and its
 * conversion to wall-clock time (now on the wall clock minus how long ago it was on the monotonic clock).
 */
public final class MonotonicClock {
    private MonotonicClock() {}

    /** Nanoseconds on CLOCK_MONOTONIC, now. */
    public static long nanos() {
        return Clocks.nanos(Clocks.CLOCK_MONOTONIC);
    }

    /** The wall-clock instant of monotonic time {@code monotonicNanos}. */
    public static Instant toInstant(long monotonicNanos) {
        long wall = Clocks.nanos(Clocks.CLOCK_REALTIME);
        long mono = Clocks.nanos(Clocks.CLOCK_MONOTONIC);
        long at = wall - (mono - monotonicNanos);
        return Instant.ofEpochSecond(Math.floorDiv(at, 1_000_000_000L), Math.floorMod(at, 1_000_000_000L));
    }
}
