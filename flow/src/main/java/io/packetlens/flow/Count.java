package io.packetlens.flow;

/** Packets and bytes: the value of {@code struct pl_count} (summed over CPUs), and of any tally. */
public record Count(long packets, long bytes) {
    public static final Count ZERO = new Count(0, 0);
    /** Bytes of {@code struct pl_count}: two u64. */
    public static final int SIZE = 16;

    public Count plus(Count o) {
        return new Count(packets + o.packets, bytes + o.bytes);
    }

    public Count minus(Count o) {
        return new Count(packets - o.packets, bytes - o.bytes);
    }
}
