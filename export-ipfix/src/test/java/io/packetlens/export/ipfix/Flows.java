package io.packetlens.export.ipfix;

import io.packetlens.flow.Direction;
import io.packetlens.flow.EndReason;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowKey;

import java.net.InetAddress;
import java.time.Instant;

/** Finished flow records with known values for the encoder tests. */
final class Flows {
    static final Instant START = Instant.parse("2026-11-25T12:00:00Z");

    private Flows() {}

    /** TCP 10.0.0.1:40000 -> 10.0.0.2:80, VLAN 7, ingress on ifindex 3: 5 packets, 470 frame bytes, 400 IP bytes. */
    static FinishedFlow ipv4Tcp() {
        FlowKey k = new FlowKey(InetAddress.ofLiteral("10.0.0.1"), InetAddress.ofLiteral("10.0.0.2"), 40000, 80, 6, 7, 3, Direction.INGRESS);
        return new FinishedFlow(k, 5, 470, 400, START, START.plusMillis(1500), 1_000_000_000L, 2_500_000_000L,
                0x12, 60, 1500, 10, false, EndReason.IDLE);
    }

    /** {@link #ipv4Tcp()} as a tracked connection: 4 packets and 300 IP octets back with ACK|FIN, 2 retransmissions. */
    static FinishedFlow biflow() {
        FinishedFlow f = ipv4Tcp();
        return new FinishedFlow(f.key(), f.packets(), f.bytes(), f.ipBytes(), f.start(), f.end(), f.startNanos(), f.endNanos(),
                f.tcpFlags(), f.minLength(), f.maxLength(), f.dscp(), false, EndReason.IDLE, false,
                new io.packetlens.flow.Biflow(4, 300, 0x11, 2, 0, 50_000, "TIME_WAIT"));
    }

    /** UDP 10.242.0.1:5000 -> 10.242.0.2:6000 out of VXLAN VNI 42, ingress on ifindex 3: 2 packets. */
    static FinishedFlow vxlan() {
        FlowKey k = new FlowKey(InetAddress.ofLiteral("10.242.0.1"), InetAddress.ofLiteral("10.242.0.2"), 5000, 6000, 17, 0, 3,
                Direction.INGRESS, io.packetlens.flow.Tunnel.vxlan(42));
        return new FinishedFlow(k, 2, 2 * 178, 2 * 128, START, START.plusMillis(5), 0, 0, 0, 128, 128, 0, false, EndReason.IDLE);
    }

    /** ICMPv6 echo request (type 128 code 0) fd00::1 -> fd00::2, egress on ifindex 9: 3 packets. */
    static FinishedFlow ipv6Icmp() {
        FlowKey k = new FlowKey(InetAddress.ofLiteral("fd00::1"), InetAddress.ofLiteral("fd00::2"), 0, 128 << 8, 58, 0, 9, Direction.EGRESS);
        return new FinishedFlow(k, 3, 354, 312, START, START.plusMillis(20), 1_000_000_000L, 1_020_000_000L,
                0, 104, 104, 0, false, EndReason.END);
    }

    /** UDP flow {@code i} of a numbered set (distinct source ports), IPv4 or IPv6. */
    static FinishedFlow numbered(int i, boolean v6) {
        FlowKey k = new FlowKey(InetAddress.ofLiteral(v6 ? "fd00::1" : "10.0.0.1"), InetAddress.ofLiteral(v6 ? "fd00::2" : "10.0.0.2"),
                1024 + i % 60000, 9000, 17, 0, 2, Direction.INGRESS);
        return new FinishedFlow(k, 1 + i % 7, 100L * (1 + i % 7), 86L * (1 + i % 7), START, START.plusMillis(i % 1000),
                0, 0, 0, 86, 86, 0, false, EndReason.IDLE);
    }
}
