package io.packetlens.ebpf;

import io.packetlens.packet.EtherType;
import io.packetlens.packet.Frame;

/** The loader tests' two frames, built with io.packetlens.packet.Frame. */
final class Frames {
    private static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};

    private Frames() {}

    /** IPv4/UDP 10.0.0.1:40000 -> 10.0.0.2:{@code dstPort} with {@code payload} bytes: 42 + payload bytes. */
    static byte[] ipv4Udp(int dstPort, int payload) {
        return Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(40000, dstPort).payload(payload).build();
    }

    /** A broadcast ARP frame (its 28 bytes zero): 42 bytes. */
    static byte[] arp() {
        return Frame.ethernet(Frame.DEFAULT_SOURCE_MAC, BROADCAST).ethertype(EtherType.ARP).payload(new byte[28]).build();
    }
}
