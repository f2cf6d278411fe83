package io.packetlens.monitor;

import io.packetlens.flow.ActiveFlow;
import io.packetlens.flow.Direction;
import io.packetlens.flow.EndReason;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowKey;

import java.net.InetAddress;
import java.time.Instant;

/** Hand-made flows for tests that need no kernel. */
public final class Flows {
    private Flows() {}

    public static FlowKey key(String src, String dst, int sport, int dport, int proto) {
        return new FlowKey(InetAddress.ofLiteral(src), InetAddress.ofLiteral(dst), sport, dport, proto, 0, 2, Direction.INGRESS);
    }

    public static FinishedFlow finished(FlowKey k, long packets, long bytes, EndReason reason) {
        Instant start = Instant.parse("2026-11-25T12:00:00Z");
        return new FinishedFlow(k, packets, bytes, bytes - 14 * packets, start, start.plusMillis(1500), 1_000_000_000L, 2_500_000_000L,
                0x12, 60, 1514, 10, false, reason);
    }

    public static ActiveFlow active(FlowKey k, long packets, long bytes, long dPackets, long dBytes) {
        Instant t = Instant.parse("2026-11-25T12:00:00Z");
        return new ActiveFlow(k, packets, bytes, dPackets, dBytes, t, t.plusSeconds(1), 0x18);
    }
}
