package io.packetlens.bench;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapBatch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The two ways packetlens reads a whole map: BPF_MAP_LOOKUP_BATCH through {@link MapBatch},
 * and GET_NEXT_KEY + LOOKUP_ELEM per entry (the syscall pattern bpftool uses). Both read
 * every value's packets field so that the data is demonstrably in Java's hands.
 */
final class JavaDumps {
    private JavaDumps() {}

    /** One full iteration with BPF_MAP_LOOKUP_BATCH, reusing {@code batch}'s buffers. */
    static DumpCount batchLookup(MapBatch batch) {
        batch.reset();
        MemorySegment values = batch.values();
        long stride = batch.valueStride();
        long entries = 0, sum = 0;
        int n;
        while ((n = batch.lookupNext()) > 0) {
            for (int i = 0; i < n; i++) sum += FlowEntries.packets(values, i * stride);
            entries += n;
        }
        return new DumpCount(entries, sum);
    }

    /** One full iteration with BPF_MAP_GET_NEXT_KEY then BPF_MAP_LOOKUP_ELEM for every key. */
    static DumpCount keyIteration(BpfMap map) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cur = arena.allocate(map.keySize(), 8);
            MemorySegment next = arena.allocate(map.keySize(), 8);
            MemorySegment value = arena.allocate(map.lookupValueSize(), 8);
            long entries = 0, sum = 0;
            boolean more = map.nextKey(null, cur);
            while (more) {
                if (map.lookup(cur, value)) {
                    sum += FlowEntries.packets(value, 0);
                    entries++;
                }
                more = map.nextKey(cur, next);
                MemorySegment t = cur;
                cur = next;
                next = t;
            }
            return new DumpCount(entries, sum);
        }
    }
}
