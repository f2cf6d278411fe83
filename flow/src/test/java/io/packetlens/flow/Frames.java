package io.packetlens.flow;

import io.packetlens.packet.EtherType;
import io.packetlens.packet.IpProtocol;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static io.packetlens.packet.Frame.ethernet;
import static io.packetlens.packet.Frame.ipPacket;

/**
 * The flow tests' frames, built with {@link io.packetlens.packet.Frame}: every header combination the flow parser
 * handles ({@link #all()}), and the plain UDP and TCP frames most tests send.
 */
final class Frames {
    static final String SRC4 = "10.1.2.3", DST4 = "192.168.7.9";
    static final String SRC6 = "fd00::1", DST6 = "2001:db8::ab:2";

    private Frames() {}

    /** A named frame. */
    record Frame(String name, byte[] bytes) {
        @Override
        public String toString() {
            return name + " (" + bytes.length + " B)";
        }
    }

    /** An untagged IPv4/UDP frame {@value #SRC4} -> {@value #DST4} with {@code payload} bytes 0, 1, 2 ... */
    static byte[] udp4(int sport, int dport, int payload) {
        return ethernet().ipv4(SRC4, DST4).udp(sport, dport).payload(payload).build();
    }

    /** An untagged IPv4/UDP frame with the given payload. */
    static byte[] udp4(int sport, int dport, byte[] payload) {
        return ethernet().ipv4(SRC4, DST4).udp(sport, dport).payload(payload).build();
    }

    /** An untagged IPv4/TCP segment without payload. */
    static byte[] tcp4(int sport, int dport, int flags) {
        return ethernet().ipv4(SRC4, DST4).tcp(sport, dport).tcpFlags(flags).build();
    }

    /** An untagged frame of another ethertype with {@code payload} zero bytes. */
    static byte[] nonIp(int ethertype, int payload) {
        return ethernet().ethertype(ethertype).payload(new byte[payload]).build();
    }

    /** Ethernet with one tag per TPID in {@code tags} (VLAN ids 100, 200, ..., priority 1). */
    private static io.packetlens.packet.Frame link(int[] tags) {
        io.packetlens.packet.Frame f = ethernet();
        for (int i = 0; i < tags.length; i++) f.vlan(tags[i], 0x2000 | (100 * (i + 1)));
        return f;
    }

    /** A transport header and payload as the catalogue uses them, with the IP header's TOS / traffic class. */
    private record L4(String name, int tos, UnaryOperator<io.packetlens.packet.Frame> add) {}

    private static final List<L4> V4 = List.of(
            new L4("TCP SYN", 0xb8, f -> f.tcp(40000, 443).tcpFlags(TcpFlags.SYN).sequence(1000).acknowledgment(2000)),
            new L4("TCP PSH|ACK", 0, f -> f.tcp(40001, 80).tcpFlags(TcpFlags.PSH | TcpFlags.ACK).sequence(1000).acknowledgment(2000).payload(6)),
            new L4("UDP", 0x28, f -> f.udp(5353, 53).payload(5)),
            new L4("ICMP echo", 0, f -> f.icmp(8, 0).rest(7, 1).payload(4)),
            new L4("SCTP", 0x48, f -> f.sctp(2905, 2906).verificationTag(0xcafe).payload(16)),
            new L4("GRE", 0, f -> f.protocol(IpProtocol.GRE).payload(8)),
            new L4("ICMPv6 over IPv4 (no ports)", 0, f -> f.icmpv6(128, 0).rest(7, 1)));

    private static final List<L4> V6 = List.of(
            new L4("TCP SYN|ACK", 0xb8, f -> f.tcp(443, 40000).tcpFlags(TcpFlags.SYN | TcpFlags.ACK).sequence(1000).acknowledgment(2000)),
            new L4("TCP FIN", 0, f -> f.tcp(40002, 22).tcpFlags(TcpFlags.FIN | TcpFlags.ACK).sequence(1000).acknowledgment(2000).payload(3)),
            new L4("UDP", 0x28, f -> f.udp(1234, 4789).payload(5)),
            new L4("ICMPv6 echo", 0, f -> f.icmpv6(128, 0).rest(7, 1).payload(4)),
            new L4("SCTP", 0x20, f -> f.sctp(36412, 36412).verificationTag(0xcafe).payload(16)),
            new L4("ESP", 0, f -> f.protocol(IpProtocol.ESP).payload(8)),
            new L4("no next header", 0, f -> f.protocol(IpProtocol.NO_NEXT_HEADER)),
            new L4("ICMP over IPv6 (no ports)", 0, f -> f.icmp(8, 0).rest(7, 1)));

    /** An IPv6 extension header chain, named. */
    private record Chain(String name, UnaryOperator<io.packetlens.packet.Frame> add) {}

    private static final List<Chain> CHAINS = List.of(
            new Chain("", f -> f),
            new Chain("HBH ", f -> f.hopByHop(0)),
            new Chain("HBH+DST+RT ", f -> f.hopByHop(0).destinationOptions(1).routing(2)),
            new Chain("first-fragment ", f -> f.fragment(0, true)),
            new Chain("atomic-fragment ", f -> f.fragment(0, false)),
            new Chain("later-fragment ", f -> f.fragment(100, true)),
            new Chain("HBH+last-fragment ", f -> f.hopByHop(0).fragment(200, false)),
            new Chain("AH ", f -> f.authentication(4)),
            new Chain("DST+AH+first-fragment ", f -> f.destinationOptions(0).authentication(1).fragment(0, true)),
            new Chain("8-ext-headers ", f -> options(f, 8)),
            new Chain("9-ext-headers ", f -> options(f, 9)));

    /** Hop-by-hop, then destination options, the eighth a routing header: {@code n} headers of 8 bytes. */
    private static io.packetlens.packet.Frame options(io.packetlens.packet.Frame f, int n) {
        f.hopByHop(0);
        for (int i = 1; i < 7; i++) f.destinationOptions(0);
        f.routing(0);
        if (n == 9) f.destinationOptions(0);
        return f;
    }

    static final String OUTER4_SRC = "198.51.100.1", OUTER4_DST = "198.51.100.2";
    static final String OUTER6_SRC = "2001:db8:f::1", OUTER6_DST = "2001:db8:f::2";

    /** A VXLAN header (RFC 7348): flags (0x08, the I bit, for a valid VNI), 3 reserved bytes, the VNI, 1 reserved byte. */
    static byte[] vxlanHeader(int flags, int vni) {
        return new byte[]{(byte) flags, 0, 0, 0, (byte) (vni >> 16), (byte) (vni >> 8), (byte) vni, 0};
    }

    /**
     * A GRE header (RFC 2784, 2890) with the checksum, key and sequence fields that {@code flags} (the first byte: C 0x80,
     * R 0x40, K 0x20, S 0x10) asks for, {@code version} in the second byte, and the inner ethertype.
     */
    static byte[] greHeader(int flags, int version, int ethertype, long key) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        b.put((byte) flags).put((byte) version).putShort((short) ethertype);
        if ((flags & 0x80) != 0) b.putInt(0);
        if ((flags & 0x20) != 0) b.putInt((int) key);
        if ((flags & 0x10) != 0) b.putInt(77);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Inner packets a tunnel carries: IP packets (for GRE and IP in IP) and Ethernet frames (VXLAN, GRE's TEB). */
    private record Inner(String name, byte[] ip, byte[] ethernet) {}

    private static List<Inner> inners() {
        return List.of(
                new Inner("IPv4 TCP SYN", ipPacket().ipv4(SRC4, DST4).tos(0xb8).tcp(40000, 443).tcpFlags(TcpFlags.SYN).build(),
                        ethernet().ipv4(SRC4, DST4).tos(0xb8).tcp(40000, 443).tcpFlags(TcpFlags.SYN).build()),
                new Inner("IPv6 UDP", ipPacket().ipv6(SRC6, DST6).udp(1234, 53).payload(9).build(),
                        ethernet().ipv6(SRC6, DST6).udp(1234, 53).payload(9).build()),
                new Inner("IPv4 ICMP echo", ipPacket().ipv4(SRC4, DST4).icmp(8, 0).rest(7, 1).payload(4).build(),
                        ethernet().vlan(300).ipv4(SRC4, DST4).icmp(8, 0).rest(7, 1).payload(4).build()),
                new Inner("IPv6 HBH SCTP", ipPacket().ipv6(SRC6, DST6).hopByHop(0).sctp(2905, 2906).verificationTag(1).build(),
                        ethernet().vlan(EtherType.QINQ, 0x2064).vlan(301).ipv6(SRC6, DST6).hopByHop(0).sctp(2905, 2906).verificationTag(1).build()),
                new Inner("IPv4 later fragment", ipPacket().ipv4(SRC4, DST4).identification(9).fragment(20, false).udp(1, 2).payload(8).build(),
                        ethernet().ipv4(SRC4, DST4).identification(9).fragment(20, false).udp(1, 2).payload(8).build()),
                new Inner("ARP (not IP: the outer packet is the flow)", null, nonIp(EtherType.ARP, 28)));
    }

    /** Outer IP headers: IPv4, IPv6, and IPv4 in an 802.1Q frame. */
    private static final List<Chain> OUTERS = List.of(
            new Chain("IPv4 ", f -> f.ipv4(OUTER4_SRC, OUTER4_DST).identification(0x4321)),
            new Chain("IPv6 ", f -> f.ipv6(OUTER6_SRC, OUTER6_DST)),
            new Chain("802.1Q IPv4 ", f -> f.vlan(77).ipv4(OUTER4_SRC, OUTER4_DST)));

    /**
     * Tunnelled frames, one level deep: VXLAN, GRE (plain, with checksum, key and sequence, bridged Ethernet) and IP in
     * IP, in IPv4, IPv6 and tagged outers, around every {@link #inners() inner} packet; and tunnels the parser must not
     * look into (GRE version 1, GRE with source routing, VXLAN without its I flag, VXLAN on another port, a fragmented
     * outer packet), which stay outer flows.
     */
    static List<Frame> tunnels() {
        List<Frame> out = new ArrayList<>();
        for (Chain o : OUTERS) {
            for (Inner in : inners()) {
                String n = o.name() + "in " + in.name();
                out.add(new Frame("VXLAN 42 " + n, o.add().apply(ethernet()).udp(50000, 4789)
                        .payload(concat(vxlanHeader(0x08, 42), in.ethernet())).build()));
                out.add(new Frame("GRE TEB key 7 " + n, o.add().apply(ethernet()).protocol(IpProtocol.GRE)
                        .payload(concat(greHeader(0x20, 0, EtherType.TEB, 7), in.ethernet())).build()));
                if (in.ip() == null) continue;
                int type = (in.ip()[0] >> 4) == 4 ? EtherType.IPV4 : EtherType.IPV6;
                out.add(new Frame("GRE " + n, o.add().apply(ethernet()).protocol(IpProtocol.GRE)
                        .payload(concat(greHeader(0, 0, type, 0), in.ip())).build()));
                out.add(new Frame("GRE csum+key+seq " + n, o.add().apply(ethernet()).protocol(IpProtocol.GRE)
                        .payload(concat(greHeader(0xb0, 0, type, 0xfedcba98L), in.ip())).build()));
                out.add(new Frame("IP-in-IP " + n, o.add().apply(ethernet())
                        .protocol(type == EtherType.IPV4 ? IpProtocol.IPIP : IpProtocol.IPV6).payload(in.ip()).build()));
            }
            byte[] inner = inners().getFirst().ethernet(), innerIp = inners().getFirst().ip();
            out.add(new Frame("VXLAN without I flag " + o.name(), o.add().apply(ethernet()).udp(50000, 4789)
                    .payload(concat(vxlanHeader(0, 42), inner)).build()));
            out.add(new Frame("VXLAN on 8472 " + o.name(), o.add().apply(ethernet()).udp(50000, 8472)
                    .payload(concat(vxlanHeader(0x08, 42), inner)).build()));
            out.add(new Frame("GRE version 1 " + o.name(), o.add().apply(ethernet()).protocol(IpProtocol.GRE)
                    .payload(concat(greHeader(0x20, 1, 0x880b, 5), innerIp)).build()));
            out.add(new Frame("GRE routing " + o.name(), o.add().apply(ethernet()).protocol(IpProtocol.GRE)
                    .payload(concat(greHeader(0x40, 0, EtherType.IPV4, 0), innerIp)).build()));
            out.add(new Frame("GRE unknown inner " + o.name(), o.add().apply(ethernet()).protocol(IpProtocol.GRE)
                    .payload(concat(greHeader(0, 0, 0x88b5, 0), innerIp)).build()));
            out.add(new Frame("first fragment of IP-in-IP " + o.name(), o.add().apply(ethernet()).fragment(0, true)
                    .protocol(IpProtocol.IPIP).payload(innerIp).build()));
        }
        return out;
    }

    /** Every header combination the flow parser handles, under each VLAN arrangement, plus frames it must count as other. */
    static List<Frame> all() {
        List<Frame> out = new ArrayList<>();
        int[][] vlanings = {{}, {EtherType.VLAN}, {EtherType.QINQ, EtherType.VLAN}};
        String[] vlanNames = {"", "802.1Q ", "QinQ "};
        for (int v = 0; v < vlanings.length; v++) {
            int[] tags = vlanings[v];
            String vn = vlanNames[v];
            // IPv4: options x fragment position x transport
            int[] frags = {0, 0x4000, 0x2000, 0x2000 | 185, 370};
            String[] fragNames = {"", "DF ", "first-fragment ", "middle-fragment ", "last-fragment "};
            for (int opt : new int[]{0, 2, 10}) {
                for (int fi = 0; fi < frags.length; fi++) {
                    String p = vn + "IPv4" + (opt > 0 ? "+" + opt * 4 + "B options " : " ") + fragNames[fi];
                    byte[] nops = new byte[opt * 4];
                    java.util.Arrays.fill(nops, (byte) 1);
                    for (L4 l4 : V4) {
                        io.packetlens.packet.Frame f = link(tags).ipv4(SRC4, DST4).tos(l4.tos()).identification(0x1234)
                                .flagsAndOffset(frags[fi]).options(nops);
                        out.add(new Frame(p + l4.name(), l4.add().apply(f).build()));
                    }
                }
            }
            // IPv6: extension header chains x transport
            for (Chain c : CHAINS) {
                for (L4 l4 : V6) {
                    io.packetlens.packet.Frame f = link(tags).ipv6(SRC6, DST6).tos(l4.tos()).flowLabel(0x12345);
                    out.add(new Frame(vn + "IPv6 " + c.name() + l4.name(), l4.add().apply(c.add().apply(f)).build()));
                }
            }
            // other: not IP, malformed
            out.add(new Frame(vn + "ARP", link(tags).ethertype(EtherType.ARP).payload(new byte[28]).build()));
            out.add(new Frame(vn + "LLDP", link(tags).ethertype(EtherType.LLDP).payload(new byte[10]).build()));
            out.add(new Frame(vn + "IPv4 ethertype, version 6", link(tags).ethertype(EtherType.IPV4)
                    .payload(ipPacket().ipv6(SRC6, DST6).udp(1, 2).build()).build()));
            out.add(new Frame(vn + "IPv6 ethertype, version 4", link(tags).ethertype(EtherType.IPV6)
                    .payload(ipPacket().ipv4(SRC4, DST4).udp(1, 2).payload(30).build()).build()));
            byte[] shortIhl = link(tags).ipv4(SRC4, DST4).udp(1, 2).build();
            shortIhl[14 + 4 * tags.length] = 0x44;
            out.add(new Frame(vn + "IPv4 ihl 4", shortIhl));
        }
        out.add(new Frame("three VLAN tags", link(new int[]{EtherType.QINQ, EtherType.VLAN, EtherType.VLAN})
                .ipv4(SRC4, DST4).udp(1, 2).build()));
        out.addAll(tunnels());
        return out;
    }
}
