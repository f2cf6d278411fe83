package io.packetlens.flow;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/**
 * The 44 bytes of a {@code struct pl_flow_key} as eleven 32-bit words in the host's byte order, usable as a hash-map
 * key. One mutable instance serves as the probe for every table entry a poll reads, so finding a known flow allocates
 * nothing; a copy is made only for a new flow.
 */
final class RawKey {
    static final int WORDS = FlowKey.SIZE / Integer.BYTES;

    private final int[] w = new int[WORDS];

    /** Loads the key at int index {@code base} of {@code words} (a bulk copy of the kernel's keys); returns this. */
    RawKey load(int[] words, int base) {
        System.arraycopy(words, base, w, 0, WORDS);
        return this;
    }

    /** Loads the key at {@code offset} of {@code src}; returns this. */
    RawKey load(MemorySegment src, long offset) {
        for (int i = 0; i < WORDS; i++) w[i] = src.get(JAVA_INT_UNALIGNED, offset + 4L * i);
        return this;
    }

    /** Writes the key bytes to {@code dst} at {@code offset}. */
    void store(MemorySegment dst, long offset) {
        for (int i = 0; i < WORDS; i++) dst.set(JAVA_INT_UNALIGNED, offset + 4L * i, w[i]);
    }

    RawKey copy() {
        RawKey c = new RawKey();
        System.arraycopy(w, 0, c.w, 0, WORDS);
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawKey k && Arrays.equals(k.w, w);
    }

    @Override
    public int hashCode() {
        long h = 0;
        for (int x : w) h = (h ^ x) * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
