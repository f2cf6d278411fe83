package io.packetlens.ebpf;

import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfCmd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/**
 * Reusable buffers for the batch commands (BPF_MAP_LOOKUP_BATCH,
 * LOOKUP_AND_DELETE_BATCH, UPDATE_BATCH, DELETE_BATCH) on one map: {@code capacity}
 * keys and values laid out back to back, plus the kernel's opaque batch cursor. One
 * iteration over a map is a sequence of {@link #lookupNext()} calls until it returns 0;
 * nothing is allocated per call.
 */
public final class MapBatch implements AutoCloseable {
    private final BpfMap map;
    private final Arena arena = Arena.ofShared();
    private final int capacity;
    private final MemorySegment keys;
    private final MemorySegment values;
    private final MemorySegment inBatch;
    private final MemorySegment outBatch;
    private boolean started;
    private boolean done;

    MapBatch(BpfMap map, int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("batch capacity must be positive");
        this.map = map;
        this.capacity = capacity;
        this.keys = arena.allocate((long) Math.max(map.keySize(), 1) * capacity, 8);
        this.values = arena.allocate((long) Math.max(map.lookupValueSize(), 1) * capacity, 8);
        int cursor = Math.max(map.keySize(), 8);
        this.inBatch = arena.allocate(cursor, 8);
        this.outBatch = arena.allocate(cursor, 8);
    }

    public int capacity() { return capacity; }
    /** Keys buffer: entry i at offset i * keySize. */
    public MemorySegment keys() { return keys; }
    /** Values buffer: entry i at offset i * lookupValueSize. */
    public MemorySegment values() { return values; }
    public int keySize() { return map.keySize(); }
    public int valueStride() { return map.lookupValueSize(); }

    /** Starts a new iteration from the first entry. */
    public void reset() {
        started = false;
        done = false;
    }

    /** Reads the next batch into the buffers; returns how many entries it holds (0 when the map is exhausted). */
    public int lookupNext() {
        return next(BpfCmd.MAP_LOOKUP_BATCH);
    }

    /** Like {@link #lookupNext()} but also deletes the entries returned (atomically per bucket). */
    public int lookupAndDeleteNext() {
        return next(BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH);
    }

    /** The buffers' addresses go to the kernel, which would write into freed memory after close. */
    private void checkOpen() {
        if (!arena.scope().isAlive()) throw new IllegalStateException("map batch for " + map.name() + " is closed");
    }

    private int next(int cmd) {
        checkOpen();
        if (done) return 0;
        int r = Bpf.batch(cmd, map.fd(), started ? inBatch : MemorySegment.NULL, outBatch, keys, values, capacity, 0);
        int n = Bpf.batchCount();
        if (r == -Errno.ENOENT) {
            done = true;
            return n;
        }
        if (r < 0) {
            String hint = r == -Errno.ENOSPC ? " (a hash bucket holds more entries than the batch capacity " + capacity + ")"
                    : (r == -Errno.EINVAL || r == -Errno.ENOTSUPP) ? " (batch operations unsupported for " + map.type() + "?)" : "";
            throw BpfException.of(BpfCmd.name(cmd) + " on map " + map.name() + hint, -r);
        }
        MemorySegment.copy(outBatch, 0, inBatch, 0, inBatch.byteSize());
        started = true;
        return n;
    }

    /** Writes the first {@code count} keys and values of the buffers into the map (create or replace); returns how many were written. */
    public int update(int count) {
        return update(count, UpdateFlag.ANY);
    }

    /**
     * Like {@link #update(int)}; {@code flag} must be {@link UpdateFlag#ANY}, because the kernel's
     * BPF_MAP_UPDATE_BATCH accepts no NOEXIST/EXIST (its elem_flags may only hold BPF_F_LOCK).
     */
    public int update(int count, UpdateFlag flag) {
        if (flag != UpdateFlag.ANY) {
            throw new IllegalArgumentException("batch update of map " + map.name() + " with " + flag
                    + ": the kernel's BPF_MAP_UPDATE_BATCH only creates or replaces (ANY); use element updates for " + flag);
        }
        check(count);
        int r = Bpf.batch(BpfCmd.MAP_UPDATE_BATCH, map.fd(), MemorySegment.NULL, MemorySegment.NULL, keys, values, count, flag.value());
        if (r < 0) throw BpfException.of("BPF_MAP_UPDATE_BATCH on map " + map.name() + " (" + Bpf.batchCount() + " of " + count + " written)", -r);
        return Bpf.batchCount();
    }

    /** Deletes the first {@code count} keys of the buffer; returns how many were deleted. */
    public int delete(int count) {
        check(count);
        int r = Bpf.batch(BpfCmd.MAP_DELETE_BATCH, map.fd(), MemorySegment.NULL, MemorySegment.NULL, keys, MemorySegment.NULL, count, 0);
        if (r < 0) throw BpfException.of("BPF_MAP_DELETE_BATCH on map " + map.name() + " (" + Bpf.batchCount() + " of " + count + " deleted)", -r);
        return Bpf.batchCount();
    }

    private void check(int count) {
        checkOpen();
        if (count < 0 || count > capacity) throw new IllegalArgumentException("count " + count + " outside batch capacity " + capacity);
    }

    /**
     * Visits every entry with slices of the buffers (valid only during the call); falls back
     * to key iteration for map types without batch support (LPM trie, older kernels).
     */
    public void forEach(BiConsumer<MemorySegment, MemorySegment> visitor, boolean delete) {
        reset();
        int ks = map.keySize(), vs = map.lookupValueSize();
        try {
            int n;
            do {
                n = delete ? lookupAndDeleteNext() : lookupNext();
                for (int i = 0; i < n; i++) {
                    visitor.accept(keys.asSlice((long) i * ks, ks), values.asSlice((long) i * vs, vs));
                }
            } while (!done);
        } catch (BpfException e) {
            if (started || (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOTSUPP)) throw e;
            MemorySegment k = keys.asSlice(0, ks), v = values.asSlice(0, vs);
            for (byte[] key : map.keys()) {
                MemorySegment.copy(key, 0, k, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, ks);
                boolean found = delete ? map.lookupAndDelete(k, v) : map.lookup(k, v);
                if (found) visitor.accept(k, v);
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
