package io.packetlens.bench;

import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** Pins the calling thread to one CPU with sched_setaffinity(2), so that a measurement runs where it says it does. */
final class Affinity {
    /** x86_64 syscall number of sched_setaffinity; {@link Syscalls} uses x86_64 numbers throughout. */
    private static final long SYS_SCHED_SETAFFINITY = 203;

    private Affinity() {}

    static void pin(int cpu) {
        if (cpu < 0 || cpu >= 64) throw new IllegalArgumentException("cpu " + cpu + " outside 0..63");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(8, 8);
            mask.set(JAVA_LONG, 0, 1L << cpu);
            long r = Syscalls.syscall(SYS_SCHED_SETAFFINITY, 0, 8, mask.address(), 0, 0);
            if (r < 0) throw new IllegalStateException("sched_setaffinity(cpu " + cpu + ") failed: errno " + -r);
        }
    }
}
