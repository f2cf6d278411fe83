package io.packetlens.export;

import io.packetlens.flow.Direction;
import io.packetlens.flow.EndReason;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowKey;

import java.net.InetAddress;
import java.time.Instant;

/** Finished flow records for exporter tests. */
public final class TestFlows {
    private TestFlows() {}

    public static FlowKey key(String src, String dst, int sport, int dport, int proto) {
        return new FlowKey(InetAddress.ofLiteral(src), InetAddress.ofLiteral(dst), sport, dport, proto, 0, 2, Direction.INGRESS);
    }

    /** {@code bytes} frame bytes; IP bytes are 14 fewer per packet (untagged Ethernet). */
    public static FinishedFlow finished(FlowKey k, long packets, long bytes, EndReason reason) {
        Instant start = Instant.parse("2026-11-25T12:00:00Z");
        return new FinishedFlow(k, packets, bytes, bytes - 14 * packets, start, start.plusMillis(1500), 1_000_000_000L,
                2_500_000_000L, 0x12, 60, 1514, 10, false, reason);
    }

    /** Flow {@code i} of a numbered set: distinct source ports. */
    public static FinishedFlow numbered(int i) {
        return finished(key("10.0.0.1", "10.0.0.2", 1024 + (i % 60000), 80 + i / 60000, 17), 1, 100, EndReason.IDLE);
    }
}
