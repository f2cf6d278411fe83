package io.packetlens.monitor;

import io.packetlens.flow.FlowKey;

import java.util.Locale;

/** The labels packets and bytes are counted under: interface, direction and protocol. */
public record TrafficLabels(String iface, String direction, String protocol) {
    public static TrafficLabels of(FlowKey k, String ifaceName) {
        return new TrafficLabels(ifaceName, k.direction().name().toLowerCase(Locale.ROOT), protocolName(k.protocol()));
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
