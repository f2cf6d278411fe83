package io.packetlens.flow;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The aggregator's flows: found by their raw kernel key, and kept in a dense array as well, so that the passes a poll
 * makes over every flow (timeouts, eviction, the busiest flows) walk an array instead of a hash map's node chains.
 * Removal moves the last flow into the hole, so iterate with {@link #get(int)} by index and do not advance after a
 * {@link #removeAt(int)}. Not thread-safe (the aggregator's lock guards it).
 */
final class FlowStates {
    private final Map<RawKey, FlowState> byKey = new HashMap<>();
    private FlowState[] all = new FlowState[1024];
    private int size;

    FlowState find(RawKey key) {
        return byKey.get(key);
    }

    void add(FlowState s) {
        if (size == all.length) all = Arrays.copyOf(all, size * 2);
        s.slot = size;
        all[size++] = s;
        byKey.put(s.raw, s);
    }

    int size() {
        return size;
    }

    FlowState get(int i) {
        return all[i];
    }

    /** Removes the flow at {@code i}; the last flow takes its place. */
    void removeAt(int i) {
        FlowState s = all[i];
        byKey.remove(s.raw);
        FlowState last = all[--size];
        all[i] = last;
        last.slot = i;
        all[size] = null;
    }

    void clear() {
        Arrays.fill(all, 0, size, null);
        size = 0;
        byKey.clear();
    }
}
