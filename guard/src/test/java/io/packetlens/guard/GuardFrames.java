package io.packetlens.guard;

import io.packetlens.packet.Frame;
import io.packetlens.packet.IpProtocol;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static io.packetlens.packet.Frame.ethernet;

/** Frames for the guard's test-run comparisons: header combinations over addresses the test rulesets name. */
final class GuardFrames {
    private GuardFrames() {}

    record Named(String name, byte[] bytes) {
        @Override
        public String toString() {
            return name + " (" + bytes.length + " B)";
        }
    }

    static final String RULES = """
            default: allow
            rules:
              - {name: count-tcp, action: count, protocol: tcp}
              - {name: admin-ssh, action: allow, source: [10.10.0.0/16, "2001:db8:10::/48"], protocol: tcp, destination-port: 22}
              - {name: no-ssh, action: deny, protocol: tcp, destination-port: 22}
              - {name: deny-net, action: deny, source: [10.10.5.0/24, "2001:db8:10:5::/64"], protocol: udp}
              - {name: web-range, action: deny, destination: [192.168.7.0/24, "2001:db8::/32"], protocol: [tcp, udp, sctp], destination-port: [8000-8100, 9000, 8050-8200]}
              - {name: syn-443, action: deny, protocol: tcp, tcp-flags: {set: [syn], unset: [ack]}, destination-port: 443}
              - {name: count-ping, action: count, protocol: icmp, icmp: {type: 8}}
              - {name: no-unreach, action: deny, protocol: [icmp, icmpv6], icmp: {type: 3, code: 1}}
              - {name: ping6-ula, action: deny, protocol: icmpv6, icmp: {type: 128, code: 0}, source: ["fd00::/8"]}
              - {name: vlan-666, action: deny, vlan: 666}
              - {name: low-sport, action: deny, protocol: udp, source-port: [0-1023], destination: [10.0.0.0/8, "fd00::/8"]}
              - {name: gre, action: deny, protocol: gre}
              - {name: count-untagged-udp, action: count, protocol: udp, vlan: 0}
              - {name: host-10-20, action: deny, source: [10.20.0.1, "fd00::1"], destination: [10.30.0.0/16, "fd00::/16"]}
            """;

    static final String STRICT = """
            default: deny
            fragments: {when-full: fail-open}
            rules:
              - {name: count-all, action: count}
              - {name: dns, action: allow, protocol: udp, destination-port: 53}
              - {name: web, action: allow, protocol: [tcp, sctp], destination-port: [80, 443, 8000-8100]}
              - {name: icmp-any, action: allow, protocol: [icmp, icmpv6]}
              - {name: from-admin, action: allow, source: [10.10.0.0/16, "2001:db8:10::/48"]}
            """;

    static final String[] SRC4 = {"10.10.1.1", "10.10.5.9", "10.20.0.1", "192.168.7.9"};
    static final String[] DST4 = {"192.168.7.20", "10.30.1.1", "172.16.0.1"};
    static final String[] SRC6 = {"2001:db8:10::1", "2001:db8:10:5::7", "fd00::1", "2001:db8::ab:2"};
    static final String[] DST6 = {"2001:db8::1", "fd00::99", "2a00::1"};

    private record L4(String name, UnaryOperator<Frame> add) {}

    private static List<L4> l4(boolean v6) {
        List<L4> l = new ArrayList<>(List.of(
                new L4("TCP SYN :22", f -> f.tcp(40000, 22).tcpFlags(0x02)),
                new L4("TCP ACK :22", f -> f.tcp(40000, 22).tcpFlags(0x10).payload(5)),
                new L4("TCP SYN :443", f -> f.tcp(40001, 443).tcpFlags(0x02)),
                new L4("TCP SYN|ACK :443", f -> f.tcp(40001, 443).tcpFlags(0x12)),
                new L4("TCP :8099", f -> f.tcp(1234, 8099).tcpFlags(0x18).payload(3)),
                new L4("UDP :8050", f -> f.udp(5000, 8050).payload(4)),
                new L4("UDP :9000", f -> f.udp(5000, 9000).payload(4)),
                new L4("UDP :53 from 53", f -> f.udp(53, 53).payload(4)),
                new L4("UDP 2000->7000", f -> f.udp(2000, 7000).payload(4)),
                new L4("SCTP :8001", f -> f.sctp(3000, 8001).verificationTag(7).payload(16)),
                new L4("SCTP :9001", f -> f.sctp(3000, 9001).verificationTag(7).payload(16)),
                new L4("GRE", f -> f.protocol(IpProtocol.GRE).payload(8))));
        if (v6) {
            l.add(new L4("ICMPv6 echo", f -> f.icmpv6(128, 0).rest(1, 1).payload(4)));
            l.add(new L4("ICMPv6 3/1", f -> f.icmpv6(3, 1).rest(0, 0).payload(4)));
            l.add(new L4("ICMP in IPv6", f -> f.icmp(3, 1).rest(0, 0)));
        } else {
            l.add(new L4("ICMP echo", f -> f.icmp(8, 0).rest(1, 1).payload(4)));
            l.add(new L4("ICMP 3/1", f -> f.icmp(3, 1).rest(0, 0).payload(4)));
            l.add(new L4("ICMP 3/0", f -> f.icmp(3, 0).rest(0, 0).payload(4)));
        }
        return l;
    }

    private record Link(String name, int[][] tags) {}

    private static final List<Link> LINKS = List.of(
            new Link("untagged", new int[0][]),
            new Link("vlan 666", new int[][] {{0x8100, 666}}),
            new Link("QinQ 100/666", new int[][] {{0x88a8, 100}, {0x8100, 666}}));

    private record Ext(String name, UnaryOperator<Frame> add) {}

    private static final List<Ext> EXTS = List.of(
            new Ext("", f -> f),
            new Ext(" hbh", f -> f.hopByHop(0)),
            new Ext(" dst+rt", f -> f.destinationOptions(1).routing(0)),
            new Ext(" atomic-frag", f -> f.extension(IpProtocol.FRAGMENT, frag6Body(0, false, 77))));

    static List<Named> all() {
        List<Named> out = new ArrayList<>();
        for (Link link : LINKS) {
            for (String s : SRC4) for (String d : DST4) for (L4 l : l4(false)) {
                Frame f = tags(ethernet(), link).ipv4(s, d);
                out.add(new Named(link.name() + " " + s + ">" + d + " " + l.name(), l.add().apply(f).build()));
            }
            for (String s : SRC6) for (String d : DST6) for (L4 l : l4(true)) for (Ext e : EXTS) {
                Frame f = e.add().apply(tags(ethernet(), link).ipv6(s, d));
                out.add(new Named(link.name() + " " + s + ">" + d + e.name() + " " + l.name(), l.add().apply(f).build()));
            }
        }
        return out;
    }

    /** A smaller set for cutting at every offset: one of each header layout. */
    static List<Named> forTruncation() {
        List<Named> all = all();
        List<Named> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += 37) out.add(all.get(i));
        return out;
    }

    private static Frame tags(Frame f, Link link) {
        for (int[] t : link.tags()) f.vlan(t[0], t[1]);
        return f;
    }

    /** An IPv6 fragment header's body with an identification. */
    static byte[] frag6Body(int offsetUnits, boolean more, int id) {
        byte[] b = new byte[8];
        int field = offsetUnits << 3 | (more ? 1 : 0);
        b[2] = (byte) (field >> 8);
        b[3] = (byte) field;
        b[4] = (byte) (id >>> 24);
        b[5] = (byte) (id >>> 16);
        b[6] = (byte) (id >>> 8);
        b[7] = (byte) id;
        return b;
    }

    /** Fragment sequences (each a datagram, its pieces in order), IPv4 and IPv6, for ids from {@code id}. */
    static List<Named> fragmentSequences(int id) {
        List<Named> out = new ArrayList<>();
        for (boolean v6 : new boolean[] {false, true}) {
            String s = v6 ? "2001:db8::ab:2" : "10.1.2.3", d = v6 ? "2001:db8::1" : "192.168.7.20";
            // to a denied port: first judged, the rest follow
            out.addAll(datagram(v6, s, d, id++, "denied", f -> f.udp(5000, 8050).payload(16), 3));
            // to an allowed port: all pass, and the entry goes once complete
            out.addAll(datagram(v6, s, d, id++, "allowed", f -> f.udp(5000, 7000).payload(16), 3));
            // TCP to a denied port
            out.addAll(datagram(v6, s, d, id++, "tcp-denied", f -> f.tcp(5000, 8099).tcpFlags(0x18).payload(12), 2));
            // tiny: the first fragment holds 8 bytes of a TCP header
            out.add(new Named((v6 ? "v6" : "v4") + " tiny first", piece(v6, s, d, id, 0, true, IpProtocol.TCP, 8)));
            out.add(new Named((v6 ? "v6" : "v4") + " tiny follower", piece(v6, s, d, id++, 1, false, IpProtocol.TCP, 32)));
            // overlapping: the second piece starts inside the first
            out.add(new Named((v6 ? "v6" : "v4") + " overlap first", first(v6, s, d, id, f -> f.udp(5000, 7000).payload(16))));
            out.add(new Named((v6 ? "v6" : "v4") + " overlap second", piece(v6, s, d, id, 2, true, IpProtocol.UDP, 16)));
            out.add(new Named((v6 ? "v6" : "v4") + " overlap third", piece(v6, s, d, id++, 5, false, IpProtocol.UDP, 8)));
            // a later piece with no first
            out.add(new Named((v6 ? "v6" : "v4") + " orphan", piece(v6, s, d, id++, 4, false, IpProtocol.UDP, 8)));
            // a repeated first fragment
            Named dup = new Named((v6 ? "v6" : "v4") + " duplicate first", first(v6, s, d, id++, f -> f.udp(5000, 7000).payload(16)));
            out.add(dup);
            out.add(dup);
        }
        return out;
    }

    private static List<Named> datagram(boolean v6, String s, String d, int id, String what, UnaryOperator<Frame> l4, int pieces) {
        List<Named> out = new ArrayList<>();
        byte[] first = first(v6, s, d, id, l4);
        out.add(new Named((v6 ? "v6 " : "v4 ") + what + " 1/" + pieces, first));
        // the first carries 24 (UDP: 8 + 16) or 32 (TCP: 20 + 12) bytes; later pieces 16 bytes each
        int firstBytes = l4.apply(ethernet().ipv4("1.1.1.1", "2.2.2.2")).build().length - 14 - 20;
        for (int i = 1; i < pieces; i++) {
            int off = firstBytes / 8 + (i - 1) * 2;
            out.add(new Named((v6 ? "v6 " : "v4 ") + what + " " + (i + 1) + "/" + pieces,
                    piece(v6, s, d, id, off, i < pieces - 1, l4.apply(ethernet().ipv4("1.1.1.1", "2.2.2.2")).build()[14 + 9], 16)));
        }
        return out;
    }

    static byte[] first(boolean v6, String s, String d, int id, UnaryOperator<Frame> l4) {
        Frame f = v6 ? ethernet().ipv6(s, d).extension(IpProtocol.FRAGMENT, frag6Body(0, true, id))
                : ethernet().ipv4(s, d).identification(id).fragment(0, true);
        return l4.apply(f).build();
    }

    static byte[] piece(boolean v6, String s, String d, int id, int offsetUnits, boolean more, int proto, int bytes) {
        Frame f = v6 ? ethernet().ipv6(s, d).extension(IpProtocol.FRAGMENT, frag6Body(offsetUnits, more, id))
                : ethernet().ipv4(s, d).identification(id).fragment(offsetUnits, more);
        return f.protocol(proto).payload(bytes).build();
    }
}
