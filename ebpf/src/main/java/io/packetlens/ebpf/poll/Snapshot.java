package io.packetlens.ebpf.poll;

import io.packetlens.ebpf.PerCpu;

import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The contents of a map at one moment, as read by one batch-lookup pass: every key with its
 * value bytes (for per-CPU maps, one 8-byte-aligned slot per possible CPU). Values can be read
 * as counters: native-order u64 words, summed over CPUs for per-CPU maps.
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
        MemorySegment s = MemorySegment.ofArray(v);
        for (int w = 0; w < out.length; w++) out[w] = cpus == 1 ? s.get(JAVA_LONG_UNALIGNED, w * 8L) : PerCpu.sumLongs(s, w * 8L, PerCpu.stride(valueSize));
        return out;
    }

    /** Word {@code word} of {@link #counters(MapKey)}. */
    public long counter(MapKey key, int word) {
        return counters(key)[word];
    }

    /** Per-CPU values of u64 word {@code word} of {@code key} (one entry for a map that is not per-CPU). */
    public long[] perCpu(MapKey key, int word) {
        byte[] v = entries.get(key);
        if (v == null) return new long[cpus];
        MemorySegment s = MemorySegment.ofArray(v);
        return cpus == 1 ? new long[] {s.get(JAVA_LONG_UNALIGNED, word * 8L)} : PerCpu.longs(s, word * 8L, PerCpu.stride(valueSize));
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
