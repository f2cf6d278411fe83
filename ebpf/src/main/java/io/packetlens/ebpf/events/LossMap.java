package io.packetlens.ebpf.events;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.PerCpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** The per-CPU loss counter map {@code <channel>_lost} of packetlens_events.h: PL_LOST_SLOTS u64 counters per CPU. */
final class LossMap {
    /** Slots of packetlens_events.h (PL_LOST_*). */
    static final int NO_SPACE = 0, NO_READER = 1, TOO_BIG = 2, OTHER = 3, SLOTS = 4;

    private LossMap() {}

    /** Counters as [slot][cpu]. */
    static long[][] read(BpfMap lost) {
        long[][] out = new long[SLOTS][PerCpu.cpus()];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(lost.lookupValueSize(), 8);
            int stride = PerCpu.stride(lost.valueSize());
            for (int slot = 0; slot < SLOTS; slot++) {
                key.set(JAVA_INT, 0, slot);
                if (!lost.lookup(key, value)) continue;
                out[slot] = PerCpu.longs(value, 0, stride);
            }
        }
        return out;
    }
}
