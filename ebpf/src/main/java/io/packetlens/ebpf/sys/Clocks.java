package io.packetlens.ebpf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * clock_gettime(2) for the kernel's clocks: BPF timestamps (a program's load time, bpf_ktime_get_ns) are
 * CLOCK_BOOTTIME or CLOCK_MONOTONIC nanoseconds, which Java has no API for.
 */
public final class Clocks {
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_CLOCK_GETTIME = AARCH64 ? 113 : 228, SYS_CLOCK_GETRES = AARCH64 ? 114 : 229;
    /** CLOCK_MONOTONIC_COARSE: CLOCK_MONOTONIC as of the last tick (bpf_ktime_get_coarse_ns). */
    public static final int CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;
    /** struct timespec: tv_sec, tv_nsec (two longs). */
    private static final ThreadLocal<MemorySegment> TS = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(16, 8));

    private Clocks() {}

    /** The clock's current value in nanoseconds. */
    public static long nanos(int clock) {
        MemorySegment ts = TS.get();
        long r = Syscalls.syscall(SYS_CLOCK_GETTIME, clock, ts.address(), 0, 0, 0);
        if (r < 0) throw new IllegalStateException("clock_gettime(" + clock + ") failed: errno " + -r);
        return ts.get(JAVA_LONG, 0) * 1_000_000_000L + ts.get(JAVA_LONG, 8);
    }

    /** clock_getres(2): the clock's resolution in nanoseconds (for CLOCK_MONOTONIC_COARSE, the kernel's tick). */
    public static long resolution(int clock) {
        MemorySegment ts = TS.get();
        long r = Syscalls.syscall(SYS_CLOCK_GETRES, clock, ts.address(), 0, 0, 0);
        if (r < 0) throw new IllegalStateException("clock_getres(" + clock + ") failed: errno " + -r);
        return ts.get(JAVA_LONG, 0) * 1_000_000_000L + ts.get(JAVA_LONG, 8);
    }
}
