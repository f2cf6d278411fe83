package io.packetlens.flow;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The 44 bytes of a {@code struct pl_flow_key} as five longs and an int, usable as a hash-map key. One mutable
 * instance serves as the probe for every table entry a poll reads, so finding a known flow allocates nothing; a copy is
 * made only for a new flow.
 */
final class RawKey {
    private long w0, w1, w2, w3, w4;
    private int w5;

    /** Loads the key at {@code offset} of {@code src}; returns this. */
    RawKey load(MemorySegment src, long offset) {
        w0 = src.get(JAVA_LONG_UNALIGNED, offset);
        w1 = src.get(JAVA_LONG_UNALIGNED, offset + 8);
        w2 = src.get(JAVA_LONG_UNALIGNED, offset + 16);
        w3 = src.get(JAVA_LONG_UNALIGNED, offset + 24);
        w4 = src.get(JAVA_LONG_UNALIGNED, offset + 32);
        w5 = src.get(JAVA_INT_UNALIGNED, offset + 40);
        return this;
    }

    /** Writes the key bytes to {@code dst} at {@code offset}. */
    void store(MemorySegment dst, long offset) {
        dst.set(JAVA_LONG_UNALIGNED, offset, w0);
        dst.set(JAVA_LONG_UNALIGNED, offset + 8, w1);
        dst.set(JAVA_LONG_UNALIGNED, offset + 16, w2);
        dst.set(JAVA_LONG_UNALIGNED, offset + 24, w3);
        dst.set(JAVA_LONG_UNALIGNED, offset + 32, w4);
        dst.set(JAVA_INT_UNALIGNED, offset + 40, w5);
    }

    RawKey copy() {
        RawKey c = new RawKey();
        c.w0 = w0;
        c.w1 = w1;
        c.w2 = w2;
        c.w3 = w3;
        c.w4 = w4;
        c.w5 = w5;
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawKey k && k.w0 == w0 && k.w1 == w1 && k.w2 == w2 && k.w3 == w3 && k.w4 == w4 && k.w5 == w5;
    }

    @Override
    public int hashCode() {
        long h = w0 * 0x9E3779B97F4A7C15L;
        h = (h ^ w1) * 0x9E3779B97F4A7C15L;
        h = (h ^ w2) * 0x9E3779B97F4A7C15L;
        h = (h ^ w3) * 0x9E3779B97F4A7C15L;
        h = (h ^ w4) * 0x9E3779B97F4A7C15L;
        h = (h ^ w5) * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
