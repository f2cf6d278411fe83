package io.packetlens.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Pins the calling thread to one CPU (sched_setaffinity(2) on tid 0) for tests whose kernel
 * behaviour depends on per-CPU state, such as the LRU hash's per-CPU free lists.
 */
final class CpuAffinity implements AutoCloseable {
    private static final MethodHandle GET = handle("sched_getaffinity");
    private static final MethodHandle SET = handle("sched_setaffinity");
    private static final long MASK_BYTES = 128;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment saved = arena.allocate(MASK_BYTES, 8);

    private CpuAffinity(int cpu) {
        call(GET, saved);
        MemorySegment one = arena.allocate(MASK_BYTES, 8);
        one.set(JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
        call(SET, one);
    }

    /** Pins the current thread to {@code cpu} until closed. */
    static CpuAffinity pin(int cpu) {
        return new CpuAffinity(cpu);
    }

    @Override
    public void close() {
        try {
            call(SET, saved);
        } finally {
            arena.close();
        }
    }

    private static void call(MethodHandle h, MemorySegment mask) {
        int r;
        try {
            r = (int) h.invokeExact(0, MASK_BYTES, mask);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (r != 0) throw new IllegalStateException("sched_{get,set}affinity failed");
    }

    @SuppressWarnings("restricted") // the test JVM runs with --enable-native-access
    private static MethodHandle handle(String name) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    }
}
