package io.packetlens.flow;

import java.time.Instant;

/**
 * One flow record as the aggregator emits it: the packets and bytes of one flow between {@code start} and {@code end}
 * (wall-clock, converted from the kernel's monotonic timestamps, which are kept as {@code startNanos} and
 * {@code endNanos}). A long flow yields one record per active timeout and a last one when it ends, so its packets add
 * up across records. {@code bytes} are whole frames as the hook saw them (IPFIX layer2OctetDeltaCount), {@code ipBytes}
 * the packets' IP total lengths (octetDeltaCount). {@code tcpFlags}, {@code minLength}, {@code maxLength} (IP total
 * lengths) and {@code fragments} cover the flow since its table entry was created; {@code dscp} is its first packet's.
 * {@code fallback} marks a record counted by the AF_PACKET fallback ({@link PacketFlows}) instead of the kernel program.
 * {@code biflow} is null for a one-way record; a bidirectional one (a tracked connection) has its reverse half there.
 * {@code outer} holds a tunnelled flow's outer addresses ({@link FlowKey#tunnel()} says which tunnel), else null.
 */
public record FinishedFlow(FlowKey key, long packets, long bytes, long ipBytes, Instant start, Instant end,
                           long startNanos, long endNanos, int tcpFlags, int minLength, int maxLength, int dscp,
                           boolean fragments, EndReason reason, boolean fallback, Biflow biflow, TunnelEnds outer) {
    /** A record of a flow outside a tunnel, one-way or bidirectional. */
    public FinishedFlow(FlowKey key, long packets, long bytes, long ipBytes, Instant start, Instant end, long startNanos,
                        long endNanos, int tcpFlags, int minLength, int maxLength, int dscp, boolean fragments, EndReason reason,
                        boolean fallback, Biflow biflow) {
        this(key, packets, bytes, ipBytes, start, end, startNanos, endNanos, tcpFlags, minLength, maxLength, dscp, fragments, reason,
                fallback, biflow, null);
    }

    /** A one-way record. */
    public FinishedFlow(FlowKey key, long packets, long bytes, long ipBytes, Instant start, Instant end, long startNanos,
                        long endNanos, int tcpFlags, int minLength, int maxLength, int dscp, boolean fragments, EndReason reason,
                        boolean fallback) {
        this(key, packets, bytes, ipBytes, start, end, startNanos, endNanos, tcpFlags, minLength, maxLength, dscp, fragments, reason,
                fallback, null);
    }

    /** A record counted by the kernel program. */
    public FinishedFlow(FlowKey key, long packets, long bytes, long ipBytes, Instant start, Instant end, long startNanos,
                        long endNanos, int tcpFlags, int minLength, int maxLength, int dscp, boolean fragments, EndReason reason) {
        this(key, packets, bytes, ipBytes, start, end, startNanos, endNanos, tcpFlags, minLength, maxLength, dscp, fragments, reason, false);
    }
}
