package io.packetlens.flow;

/**
 * Kinds of event record the flow program can write to its ring buffer ({@code PL_EV_*} bits of {@code cfg_events} in
 * flow.bpf.c). All are off by default; reading the records is the ring-buffer reader's job.
 */
public enum EventKind {
    /** The first packet of a flow the table took. */
    NEW_FLOW(1),
    /** TCP segments carrying SYN, FIN or RST (connection open and close). */
    TCP(2),
    /** One packet in {@link FlowConfig#sampleEvery()}, with its first 128 bytes. */
    SAMPLE(4),
    /** A packet the flow table had no room for (it is counted in the overflow counters either way). */
    OVERFLOW(8);

    private final int bit;

    EventKind(int bit) {
        this.bit = bit;
    }

    public int bit() {
        return bit;
    }
}
