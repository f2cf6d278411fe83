package io.packetlens.monitor;

import io.packetlens.flow.FlowKey;
import io.packetlens.flow.Tunnel;

import java.util.Locale;

/**
 * The labels packets and bytes are counted under: interface, direction, protocol, and for packets that came out of a
 * tunnel its type ({@code vxlan}, {@code gre}, {@code ipip}) and id (the VNI or GRE key). Outside a tunnel both tunnel
 * labels are empty, which Prometheus reads as absent.
 */
public record TrafficLabels(String iface, String direction, String protocol, String tunnel, String tunnelId) {
    /** Labels of traffic outside any tunnel. */
    public TrafficLabels(String iface, String direction, String protocol) {
        this(iface, direction, protocol, "", "");
    }

    public static TrafficLabels of(FlowKey k, String ifaceName) {
        Tunnel t = k.tunnel();
        return new TrafficLabels(ifaceName, k.direction().name().toLowerCase(Locale.ROOT), protocolName(k.protocol()),
                t.isTunnel() ? t.type().label() : "", t.isTunnel() ? Long.toString(t.id()) : "");
    }

    public static String protocolName(int proto) {
        return switch (proto) {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 58 -> "icmpv6";
            case 132 -> "sctp";
            default -> "ip-" + proto;
        };
    }
}
