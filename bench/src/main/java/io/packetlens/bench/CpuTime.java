package io.packetlens.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * User and system CPU time as getrusage(2) reports it ({@code struct rusage}: ru_utime and
 * ru_stime), for this thread, this whole process (JIT and GC threads included) or the
 * children this process has waited for (how bpftool's CPU time is read).
 */
record CpuTime(long userNanos, long sysNanos) {
    private static final MethodHandle GETRUSAGE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("getrusage").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final int RUSAGE_SELF = 0;
    private static final int RUSAGE_CHILDREN = -1;
    private static final int RUSAGE_THREAD = 1;
    /** sizeof(struct rusage) on LP64: two struct timeval, then 14 longs. */
    private static final int RUSAGE_SIZE = 144;
    private static final long UTIME_SEC = 0, UTIME_USEC = 8, STIME_SEC = 16, STIME_USEC = 24;

    static CpuTime thread() { return of(RUSAGE_THREAD); }
    static CpuTime process() { return of(RUSAGE_SELF); }
    static CpuTime children() { return of(RUSAGE_CHILDREN); }

    private static CpuTime of(int who) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ru = arena.allocate(RUSAGE_SIZE, 8);
            int r;
            try {
                r = (int) GETRUSAGE.invokeExact(who, ru);
            } catch (Throwable t) {
                throw new IllegalStateException("getrusage", t);
            }
            // the only failures are EFAULT and EINVAL: a bug here, not a condition to report by errno
            if (r != 0) throw new IllegalStateException("getrusage(" + who + ") failed");
            return new CpuTime(
                    ru.get(JAVA_LONG, UTIME_SEC) * 1_000_000_000L + ru.get(JAVA_LONG, UTIME_USEC) * 1_000L,
                    ru.get(JAVA_LONG, STIME_SEC) * 1_000_000_000L + ru.get(JAVA_LONG, STIME_USEC) * 1_000L);
        }
    }

    CpuTime minus(CpuTime earlier) {
        return new CpuTime(userNanos - earlier.userNanos, sysNanos - earlier.sysNanos);
    }

    long totalNanos() {
        return userNanos + sysNanos;
    }
}
