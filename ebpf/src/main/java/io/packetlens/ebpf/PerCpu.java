package io.packetlens.ebpf;

import io.packetlens.ebpf.cpu.Cpus;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The layout of a per-CPU map's value as lookups and batches return it (PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH
 * ...): one slot per <em>possible</em> CPU, each the value size rounded up to 8 bytes. Reads u64 fields of every
 * CPU's slot from such a buffer, native or on the heap, in native byte order.
 */
public final class PerCpu {
    private PerCpu() {}

    /** Slots in a per-CPU value: the number of possible CPUs. */
    public static int cpus() {
        return Cpus.possible();
    }

    /** Bytes between two CPUs' slots for a value of {@code valueSize} bytes: the size rounded up to 8. */
    public static int stride(int valueSize) {
        return (valueSize + 7) & ~7;
    }

    /** Bytes of a whole per-CPU value of {@code valueSize} bytes per CPU. */
    public static int size(int valueSize) {
        return cpus() * stride(valueSize);
    }

    /** The sum over CPUs of the u64 at {@code offset} of each slot, slots {@code stride} bytes apart. */
    public static long sumLongs(MemorySegment values, long offset, int stride) {
        long sum = 0;
        int cpus = cpus();
        for (int cpu = 0; cpu < cpus; cpu++) sum += values.get(JAVA_LONG_UNALIGNED, offset + (long) cpu * stride);
        return sum;
    }

    /** Each CPU's u64 at {@code offset} of its slot, slots {@code stride} bytes apart. */
    public static long[] longs(MemorySegment values, long offset, int stride) {
        long[] out = new long[cpus()];
        for (int cpu = 0; cpu < out.length; cpu++) out[cpu] = values.get(JAVA_LONG_UNALIGNED, offset + (long) cpu * stride);
        return out;
    }
}
