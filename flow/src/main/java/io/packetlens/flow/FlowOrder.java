package io.packetlens.flow;

/** How the busiest flows are ranked: by what they added in the last poll interval, ties broken by their totals. */
public enum FlowOrder {
    BYTES,
    PACKETS;

    /** Smallest first, on the aggregator's own flows (field reads instead of calls through an interface). */
    int compare(FlowState a, FlowState b) {
        long x, y;
        if (this == BYTES) {
            x = a.bytes - a.previousBytes;
            y = b.bytes - b.previousBytes;
            if (x == y) {
                x = a.bytes;
                y = b.bytes;
            }
        } else {
            x = a.packets - a.previousPackets;
            y = b.packets - b.previousPackets;
            if (x == y) {
                x = a.packets;
                y = b.packets;
            }
        }
        return Long.compare(x, y);
    }
}
