package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.BpfException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * CPU affinity of the calling thread ({@code sched_setaffinity(0, ...)}, {@code sched_getcpu}):
 * code that must run on a given CPU (a BPF_PROG_TEST_RUN producer of per-CPU events, a
 * benchmark thread) pins itself here.
 */
public final class Affinity {
    private static final int MASK_BYTES = 128; // a 1024-CPU cpu_set_t
    private static final MethodHandle SET = Libc.handle("sched_setaffinity", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GETCPU = Libc.handle("sched_getcpu", FunctionDescriptor.of(JAVA_INT));

    private Affinity() {}

    /** Restricts the calling thread to {@code cpu}. */
    public static void pinCurrentThread(int cpu) {
        setCurrentThread(new int[] {cpu});
    }

    /** Restricts the calling thread to the given CPUs. */
    public static void setCurrentThread(int[] cpus) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            for (int cpu : cpus) {
                if (cpu < 0 || cpu >= MASK_BYTES * 8) throw new IllegalArgumentException("cpu " + cpu);
                long word = mask.get(JAVA_LONG, (cpu / 64) * 8L);
                mask.set(JAVA_LONG, (cpu / 64) * 8L, word | (1L << (cpu % 64)));
            }
            MemorySegment st = Libc.state();
            int r;
            try {
                r = Libc.result((int) SET.invokeExact(st, 0, (long) MASK_BYTES, mask), st);
            } catch (Throwable t) {
                throw Libc.failure("sched_setaffinity", t);
            }
            if (r < 0) throw BpfException.of("sched_setaffinity " + java.util.Arrays.toString(cpus), -r);
        }
    }

    /** The CPU the calling thread runs on right now. */
    public static int currentCpu() {
        try {
            return (int) GETCPU.invokeExact(Libc.state());
        } catch (Throwable t) {
            throw Libc.failure("sched_getcpu", t);
        }
    }
}
