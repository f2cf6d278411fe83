package io.packetlens.flow;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapBatch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernel flow table read by batch: BPF_MAP_LOOKUP_BATCH (no deletion, the kernel keeps counting into the same
 * entries), BPF_MAP_LOOKUP_AND_DELETE_BATCH for the drain, BPF_MAP_LOOKUP_AND_DELETE_ELEM for one finished flow (the
 * final counts come back atomically with the delete). The kernel's buffers are bulk-copied into Java arrays: per-field
 * segment access costs several times more until the JIT has compiled this path, which on a short run is most of it.
 */
final class KernelTableReader implements FlowTableReader {
    private final BpfMap table;
    private final MapBatch batch;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key;
    private final MemorySegment value;
    private final int valueWords;

    KernelTableReader(BpfMap table, int batchSize) {
        this.table = table;
        this.batch = table.batch(Math.min(batchSize, Math.max(table.maxEntries(), 1)));
        this.key = arena.allocate(FlowKey.SIZE, 8);
        this.value = arena.allocate(table.lookupValueSize(), 8);
        this.valueWords = batch.valueStride() / Long.BYTES;
    }

    @Override
    public int capacity() {
        return batch.capacity();
    }

    @Override
    public int valueWords() {
        return valueWords;
    }

    @Override
    public boolean perCpu() {
        return table.type().isPerCpu();
    }

    @Override
    public void reset() {
        batch.reset();
    }

    @Override
    public int next(int[] keyWords, long[] values) {
        return copied(batch.lookupNext(), keyWords, values);
    }

    @Override
    public int drainNext(int[] keyWords, long[] values) {
        return copied(batch.lookupAndDeleteNext(), keyWords, values);
    }

    private int copied(int n, int[] keyWords, long[] values) {
        if (n == 0) return 0;
        MemorySegment.copy(batch.keys(), ValueLayout.JAVA_INT_UNALIGNED, 0, keyWords, 0, n * FlowStates.WORDS);
        MemorySegment.copy(batch.values(), ValueLayout.JAVA_LONG_UNALIGNED, 0, values, 0, n * valueWords);
        return n;
    }

    @Override
    public boolean remove(int[] keyWords, int base, long[] out) {
        MemorySegment.copy(keyWords, base, key, ValueLayout.JAVA_INT_UNALIGNED, 0, FlowStates.WORDS);
        if (!table.lookupAndDelete(key, value)) return false;
        MemorySegment.copy(value, ValueLayout.JAVA_LONG_UNALIGNED, 0, out, 0, valueWords);
        return true;
    }

    @Override
    public void close() {
        if (!arena.scope().isAlive()) return;
        batch.close();
        arena.close();
    }
}
