package io.packetlens.ebpf.poll;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The contents of a map at one moment, as read by one batch-lookup pass: every key with its
 * value bytes (for per-CPU maps, one 8-byte-aligned slot per possible CPU). Values can be read
 * as counters: little-endian u64 words, summed over CPUs for per-CPU maps.
 */
public final class Snapshot {
    private final Map<MapKey, byte[]> entries;
    private final int valueSize;
    private final int cpus;
    private final long nanoTime;
    private final Instant takenAt;

    Snapshot(Map<MapKey, byte[]> entries, int valueSize, int cpus, long nanoTime, Instant takenAt) {
        this.entries = entries;
        this.valueSize = valueSize;
        this.cpus = cpus;
        this.nanoTime = nanoTime;
        this.takenAt = takenAt;
    }

    static Snapshot empty(int valueSize, int cpus, long nanoTime, Instant takenAt) {
        return new Snapshot(Map.of(), valueSize, cpus, nanoTime, takenAt);
    }

    public int size() {
        return entries.size();
    }

    public Set<MapKey> keys() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public boolean contains(MapKey key) {
        return entries.containsKey(key);
    }

    /** The raw value of {@code key} (all CPUs' slots for a per-CPU map). */
    public Optional<byte[]> value(MapKey key) {
        byte[] v = entries.get(key);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    /** The value of {@code key} as u64 counters (valueSize / 8 words), summed over CPUs; zeros if absent. */
    public long[] counters(MapKey key) {
        long[] out = new long[valueSize / 8];
        byte[] v = entries.get(key);
        if (v == null) return out;
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        int stride = (valueSize + 7) & ~7;
        for (int cpu = 0; cpu < cpus; cpu++) {
            for (int w = 0; w < out.length; w++) out[w] += b.getLong(cpu * stride + w * 8);
        }
        return out;
    }

    /** Word {@code word} of {@link #counters(MapKey)}. */
    public long counter(MapKey key, int word) {
        return counters(key)[word];
    }

    /** Per-CPU values of u64 word {@code word} of {@code key} (one entry for a map that is not per-CPU). */
    public long[] perCpu(MapKey key, int word) {
        long[] out = new long[cpus];
        byte[] v = entries.get(key);
        if (v == null) return out;
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        int stride = (valueSize + 7) & ~7;
        for (int cpu = 0; cpu < cpus; cpu++) out[cpu] = b.getLong(cpu * stride + word * 8);
        return out;
    }

    /** System.nanoTime() when the snapshot was read. */
    public long nanoTime() {
        return nanoTime;
    }

    public Instant takenAt() {
        return takenAt;
    }

    @Override
    public String toString() {
        return "Snapshot[" + entries.size() + " entries at " + takenAt + "]";
    }
}
