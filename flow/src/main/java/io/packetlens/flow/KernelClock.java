package io.packetlens.flow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link FlowClock} on clock_gettime(2) through the FFM API: CLOCK_MONOTONIC is by definition the clock of
 * {@code bpf_ktime_get_ns()}, so nothing depends on how the JVM implements System.nanoTime.
 */
final class KernelClock implements FlowClock {
    static final KernelClock INSTANCE = new KernelClock();

    private static final int CLOCK_REALTIME = 0;
    private static final int CLOCK_MONOTONIC = 1;
    /** {@code struct timespec}: tv_sec, tv_nsec (two longs on 64-bit Linux). */
    private static final long TIMESPEC_SIZE = 16;

    @SuppressWarnings("restricted") // the point of this class; callers pass --enable-native-access
    private static final MethodHandle CLOCK_GETTIME = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("clock_gettime").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));

    /** One timespec per thread: reading the clock allocates nothing. */
    private static final ThreadLocal<MemorySegment> TIMESPEC =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(TIMESPEC_SIZE, 8));

    private KernelClock() {}

    private static long read(int clock) {
        MemorySegment ts = TIMESPEC.get();
        try {
            int r = (int) CLOCK_GETTIME.invokeExact(clock, ts);
            if (r != 0) throw new IllegalStateException("clock_gettime(" + clock + ") failed");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("clock_gettime", t);
        }
        return ts.get(JAVA_LONG, 0) * 1_000_000_000L + ts.get(JAVA_LONG, 8);
    }

    @Override
    public long monotonicNanos() {
        return read(CLOCK_MONOTONIC);
    }

    @Override
    public long realtimeNanos() {
        return read(CLOCK_REALTIME);
    }
}
