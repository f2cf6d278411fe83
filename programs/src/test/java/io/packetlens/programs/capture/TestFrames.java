package io.packetlens.programs.capture;

import io.packetlens.packet.EtherType;
import io.packetlens.packet.Frame;
import io.packetlens.packet.IpProtocol;

/** The capture tests' frames (io.packetlens.packet.Frame): IPv4/IPv6 with 36 bytes of TCP, UDP, ICMP or other transport. */
final class TestFrames {
    private static final int L4 = 36;

    private TestFrames() {}

    static byte[] v4(int proto, String src, String dst, int sport, int dport) {
        return v4(proto, src, dst, sport, dport, 0);
    }

    /** {@code flagsAndOffset}: the IPv4 flags and fragment offset word. */
    static byte[] v4(int proto, String src, String dst, int sport, int dport, int flagsAndOffset) {
        return transport(Frame.ethernet().ipv4(src, dst).flagsAndOffset(flagsAndOffset), proto, sport, dport).build();
    }

    static byte[] v6(int proto, String src, String dst, int sport, int dport) {
        return transport(Frame.ethernet().ipv6(src, dst), proto, sport, dport).build();
    }

    static byte[] vlan(byte[] frame, int vid) {
        return Frame.pushVlan(frame, EtherType.VLAN, vid);
    }

    private static Frame transport(Frame f, int proto, int sport, int dport) {
        return switch (proto) {
            case IpProtocol.TCP -> f.tcp(sport, dport).payload(L4 - 20);
            case IpProtocol.UDP -> f.udp(sport, dport).payload(L4 - 8);
            case IpProtocol.ICMP -> f.icmp(8, 0).payload(L4 - 8);
            default -> f.protocol(proto).payload(L4);
        };
    }
}
