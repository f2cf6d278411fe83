package io.packetlens.ebpf.info;

import io.packetlens.ebpf.sys.Clocks;

import java.time.Instant;

/**
 * CLOCK_BOOTTIME, the clock of {@code bpf_prog_info.load_time} (nanoseconds since boot, counting suspend), and its
 * conversion to wall-clock time: now on the wall clock minus how long ago it was on the boot clock, the way bpftool
 * prints {@code loaded_at}.
 */
public final class BootClock {
    private BootClock() {}

    /** Nanoseconds since boot, now. */
    public static long nanos() {
        return Clocks.nanos(Clocks.CLOCK_BOOTTIME);
    }

    /** The wall-clock instant of boot-clock time {@code bootNanos}. */
    public static Instant toInstant(long bootNanos) {
        long wall = Clocks.nanos(Clocks.CLOCK_REALTIME);
        long boot = Clocks.nanos(Clocks.CLOCK_BOOTTIME);
        long at = wall - (boot - bootNanos);
        return Instant.ofEpochSecond(Math.floorDiv(at, 1_000_000_000L), Math.floorMod(at, 1_000_000_000L));
    }
}
