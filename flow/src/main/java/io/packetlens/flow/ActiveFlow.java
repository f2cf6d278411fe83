package io.packetlens.flow;

import java.time.Instant;

/**
 * A flow the kernel is counting now, as of the aggregator's last poll: totals since its table entry was created and
 * what it added since the poll before (for rates).
 */
public record ActiveFlow(FlowKey key, long packets, long bytes, long packetsLastInterval, long bytesLastInterval,
                         Instant firstSeen, Instant lastSeen, int tcpFlags) {
}
