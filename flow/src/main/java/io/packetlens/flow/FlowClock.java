package io.packetlens.flow;

import java.time.Instant;

/**
 * The clocks flow records are timed by: CLOCK_MONOTONIC, which is what {@code bpf_ktime_get_ns()} reads in the kernel,
 * and CLOCK_REALTIME for wall-clock time. An interface so that tests can move time forward.
 */
public interface FlowClock {
    /** CLOCK_MONOTONIC in nanoseconds: the kernel's flow timestamps are on this clock. */
    long monotonicNanos();

    /** CLOCK_REALTIME in nanoseconds since the epoch. */
    long realtimeNanos();

    /**
     * Wall-clock minus monotonic time, to add to a kernel timestamp: the real time read between two monotonic
     * readings, paired with their midpoint.
     */
    default long wallOffsetNanos() {
        long m1 = monotonicNanos();
        long r = realtimeNanos();
        long m2 = monotonicNanos();
        return r - (m1 + (m2 - m1) / 2);
    }

    /** A kernel timestamp as wall-clock time, given an offset from {@link #wallOffsetNanos()}. */
    static Instant toInstant(long monotonicNanos, long wallOffsetNanos) {
        long wall = monotonicNanos + wallOffsetNanos;
        return Instant.ofEpochSecond(Math.floorDiv(wall, 1_000_000_000L), Math.floorMod(wall, 1_000_000_000L));
    }

    /** The machine's clocks, read with clock_gettime(2). */
    static FlowClock system() {
        return KernelClock.INSTANCE;
    }
}
