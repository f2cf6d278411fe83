package io.packetlens.flow;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

/**
 * The aggregator's flows, found by the raw bytes of their {@code struct pl_flow_key} and kept in a dense array.
 * <p>
 * A poll looks up every table entry here, so the layout is chosen for few cache misses: the keys live inline in one
 * {@code int[]} (eleven 32-bit words per flow, in the host's byte order, as a bulk copy of the kernel's batch buffer
 * gives them), and the index is an open-addressing table of {@code long}s, each holding a key's hash and its flow's
 * position, probed linearly and compacted on removal (no tombstones). A hit costs an index slot, the key words and
 * the flow; a map of key objects cost five dependent loads. The passes a poll makes over every flow (timeouts,
 * eviction, the busiest flows) walk the dense array.
 * <p>
 * Removal moves the last flow into the hole, so iterate by index with {@link #get(int)} and do not advance after a
 * {@link #removeAt(int)}. Not thread-safe (the aggregator's lock guards it).
 */
final class FlowStates {
    static final int WORDS = FlowKey.SIZE / Integer.BYTES;

    private FlowState[] all = new FlowState[1024];
    private int[] keys = new int[1024 * WORDS];
    private int size;
    /** hash << 32 | (position + 1); 0 is an empty slot. */
    private long[] index = new long[4096];
    private int mask = index.length - 1;

    /** The flow whose key is {@code WORDS} ints at {@code base} of {@code words}, or null. */
    FlowState find(int[] words, int base) {
        int h = hash(words, base);
        for (int i = h & mask; ; i = (i + 1) & mask) {
            long e = index[i];
            if (e == 0) return null;
            if ((int) (e >>> 32) == h) {
                int pos = (int) e - 1;
                if (Arrays.equals(keys, pos * WORDS, pos * WORDS + WORDS, words, base, base + WORDS)) return all[pos];
            }
        }
    }

    /** Adds a flow known not to be here, with its key words. */
    void add(FlowState s, int[] words, int base) {
        if (size == all.length) {
            all = Arrays.copyOf(all, size * 2);
            keys = Arrays.copyOf(keys, size * 2 * WORDS);
        }
        if ((size + 1) * 2L > index.length) rehash(index.length * 2);
        int pos = size++;
        all[pos] = s;
        s.slot = pos;
        System.arraycopy(words, base, keys, pos * WORDS, WORDS);
        insert(hash(words, base), pos);
    }

    int size() {
        return size;
    }

    FlowState get(int i) {
        return all[i];
    }

    /** The key words of every flow, the flow at position {@code pos} at {@code pos * WORDS}; replaced when the flows grow. */
    int[] keyWords() {
        return keys;
    }

    /** Writes the key of the flow at {@code pos} as the kernel stores it. */
    void storeKey(int pos, MemorySegment dst, long offset) {
        for (int w = 0; w < WORDS; w++) dst.set(JAVA_INT_UNALIGNED, offset + 4L * w, keys[pos * WORDS + w]);
    }

    /** Removes the flow at {@code pos}; the last flow takes its place. */
    void removeAt(int pos) {
        unindex(slotOf(pos));
        int last = --size;
        if (pos != last) {
            index[slotOf(last)] = ((long) hash(keys, last * WORDS) << 32) | (pos + 1);
            all[pos] = all[last];
            all[pos].slot = pos;
            System.arraycopy(keys, last * WORDS, keys, pos * WORDS, WORDS);
        }
        all[last] = null;
    }

    void clear() {
        Arrays.fill(all, 0, size, null);
        Arrays.fill(index, 0);
        size = 0;
    }

    /** The index slot that points at position {@code pos}. */
    private int slotOf(int pos) {
        int h = hash(keys, pos * WORDS);
        for (int i = h & mask; ; i = (i + 1) & mask) {
            long e = index[i];
            if (e == 0) throw new IllegalStateException("flow at " + pos + " is not indexed");
            if ((int) e - 1 == pos) return i;
        }
    }

    private void insert(int h, int pos) {
        int i = h & mask;
        while (index[i] != 0) i = (i + 1) & mask;
        index[i] = ((long) h << 32) | (pos + 1);
    }

    /** Empties slot {@code i} and moves later entries of the probe run back, so lookups never stop early. */
    private void unindex(int i) {
        int hole = i;
        for (int j = (i + 1) & mask; index[j] != 0; j = (j + 1) & mask) {
            int home = (int) (index[j] >>> 32) & mask;
            // the entry at j may fill the hole if its home is not in (hole, j] (cyclically)
            boolean stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays) {
                index[hole] = index[j];
                hole = j;
            }
        }
        index[hole] = 0;
    }

    private void rehash(int capacity) {
        index = new long[capacity];
        mask = capacity - 1;
        for (int pos = 0; pos < size; pos++) insert(hash(keys, pos * WORDS), pos);
    }

    static int hash(int[] words, int base) {
        long h = 0;
        for (int w = 0; w < WORDS; w++) h = (h ^ words[base + w]) * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
