package io.packetlens.flow;

/**
 * A flow-table entry as the aggregator last read it: the kernel's cumulative {@code struct pl_flow_record} for one
 * {@code struct pl_flow_key}, plus what it added since the poll before. The aggregator updates these objects in
 * place, so a {@code LiveFlow} is valid only inside the callback that hands it out; keep {@link #key()} or take an
 * {@link ActiveFlow} copy to hold on to it.
 */
public interface LiveFlow {
    FlowKey key();

    /** Packets since the table entry was created. */
    long packets();

    /** Bytes (whole frames) since the table entry was created. */
    long bytes();

    /** Packets added since the previous poll. */
    long packetsLastInterval();

    /** Bytes added since the previous poll. */
    long bytesLastInterval();

    /** TCP flags seen, ORed. */
    int tcpFlags();

    /**
     * A slot for the consumer's own per-flow state (for example the label counters a flow adds to), so that it needs
     * no map lookup per flow and poll. Null until set; gone with the flow.
     */
    Object tag();

    void tag(Object tag);
}
