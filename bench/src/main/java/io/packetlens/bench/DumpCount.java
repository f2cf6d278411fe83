package io.packetlens.bench;

/**
 * What one dump read: the number of entries and, where the reader parsed values, the sum
 * of their packets fields (see {@link FlowEntries}); -1 when it did not parse them.
 */
record DumpCount(long entries, long packetSum) {

    /** Throws unless the dump saw exactly {@code n} entries (and, if parsed, the right contents). */
    void check(String method, long n) {
        if (entries != n) {
            throw new IllegalStateException(method + " read " + entries + " entries, the map holds " + n);
        }
        if (packetSum >= 0 && packetSum != FlowEntries.expectedPacketSum(n)) {
            throw new IllegalStateException(method + " read wrong values: packet sum " + packetSum
                    + ", expected " + FlowEntries.expectedPacketSum(n));
        }
    }
}
