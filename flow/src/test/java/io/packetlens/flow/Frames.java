package io.packetlens.flow;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Builds test frames layer by layer: Ethernet with VLAN tags, IPv4 with options and fragments, IPv6 with extension headers, and transport headers. */
final class Frames {
    static final byte[] SRC4 = {10, 1, 2, 3}, DST4 = {(byte) 192, (byte) 168, 7, 9};
    static final byte[] SRC6 = bytes("fd00 0000 0000 0000 0000 0000 0000 0001"), DST6 = bytes("2001 0db8 0000 0000 0000 0000 00ab 0002");

    private Frames() {}

    /** A named frame. */
    record Frame(String name, byte[] bytes) {
        @Override
        public String toString() {
            return name + " (" + bytes.length + " B)";
        }
    }

    /** Ethernet header: MACs, then one 4-byte tag per TPID in {@code tags} (VLAN ids 100, 200, ...), then the ethertype. */
    static byte[] eth(int[] tags, int ethertype, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 4 * tags.length + payload.length);
        b.put(new byte[]{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1});
        for (int i = 0; i < tags.length; i++) b.putShort((short) tags[i]).putShort((short) (0x2000 | (100 * (i + 1))));
        b.putShort((short) ethertype).put(payload);
        return b.array();
    }

    /** IPv4 header with {@code optionWords} 4-byte words of options (NOPs) and the given flags/fragment-offset field. */
    static byte[] ipv4(int protocol, int tos, int optionWords, int fragField, byte[] l4) {
        int hlen = 20 + 4 * optionWords;
        ByteBuffer b = ByteBuffer.allocate(hlen + l4.length);
        b.put((byte) (0x40 | (5 + optionWords))).put((byte) tos).putShort((short) (hlen + l4.length))
                .putShort((short) 0x1234).putShort((short) fragField).put((byte) 64).put((byte) protocol).putShort((short) 0)
                .put(SRC4).put(DST4);
        for (int i = 0; i < optionWords * 4; i++) b.put((byte) 1);
        return b.put(l4).array();
    }

    /** An IPv6 extension header: its type and its encoded bytes without the next-header byte (filled in by {@link #ipv6}). */
    record Ext(int type, byte[] body) {
        /** Hop-by-hop, routing or destination options: (units + 1) * 8 bytes. */
        static Ext options(int type, int units) {
            byte[] body = new byte[(units + 1) * 8];
            body[1] = (byte) units;
            return new Ext(type, body);
        }

        /** Fragment header: {@code offset} in 8-byte units, the M flag. */
        static Ext fragment(int offset, boolean more) {
            byte[] body = new byte[8];
            int field = (offset << 3) | (more ? 1 : 0);
            body[2] = (byte) (field >> 8);
            body[3] = (byte) field;
            return new Ext(IpProtocols.FRAGMENT, body);
        }

        /** Authentication header: (len + 2) * 4 bytes. */
        static Ext ah(int len) {
            byte[] body = new byte[(len + 2) * 4];
            body[1] = (byte) len;
            return new Ext(IpProtocols.AH, body);
        }
    }

    static byte[] ipv6(int trafficClass, List<Ext> exts, int protocol, byte[] l4) {
        ByteArrayOutputStream chain = new ByteArrayOutputStream();
        for (int i = 0; i < exts.size(); i++) {
            byte[] body = exts.get(i).body().clone();
            body[0] = (byte) (i + 1 < exts.size() ? exts.get(i + 1).type() : protocol);
            chain.writeBytes(body);
        }
        int first = exts.isEmpty() ? protocol : exts.getFirst().type();
        ByteBuffer b = ByteBuffer.allocate(40 + chain.size() + l4.length);
        b.putInt(0x60000000 | (trafficClass << 20) | 0x12345).putShort((short) (chain.size() + l4.length))
                .put((byte) first).put((byte) 64).put(SRC6).put(DST6).put(chain.toByteArray()).put(l4);
        return b.array();
    }

    static byte[] tcp(int sport, int dport, int flags, int payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload);
        b.putShort((short) sport).putShort((short) dport).putInt(1000).putInt(2000).put((byte) 0x50).put((byte) flags)
                .putShort((short) 65535).putInt(0);
        return b.array();
    }

    static byte[] udp(int sport, int dport, int payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload);
        b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload)).putShort((short) 0);
        return b.array();
    }

    static byte[] sctp(int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(12 + 16);
        b.putShort((short) sport).putShort((short) dport).putInt(0xcafe).putInt(0);
        return b.array();
    }

    /** ICMP or ICMPv6 echo-style message: type, code, checksum, identifier, sequence, payload. */
    static byte[] icmp(int type, int code, int payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload);
        b.put((byte) type).put((byte) code).putShort((short) 0).putShort((short) 7).putShort((short) 1);
        return b.array();
    }

    /** Bytes with no transport header the parser reads (GRE, ESP ...). */
    static byte[] opaque(int n) {
        return new byte[n];
    }

    static byte[] bytes(String hex) {
        String h = hex.replace(" ", "");
        byte[] out = new byte[h.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    /** Every header combination the flow parser handles, under each VLAN arrangement, plus frames it must count as other. */
    static List<Frame> all() {
        List<Frame> out = new ArrayList<>();
        int[][] vlanings = {{}, {ReferenceParser.ETH_P_8021Q}, {ReferenceParser.ETH_P_8021AD, ReferenceParser.ETH_P_8021Q}};
        String[] vlanNames = {"", "802.1Q ", "QinQ "};
        for (int v = 0; v < vlanings.length; v++) {
            int[] tags = vlanings[v];
            String vn = vlanNames[v];
            // IPv4: options x fragment position x transport
            int[][] frags = {{0, 0}, {0x4000, 0}, {0x2000, 1}, {0x2000 | 185, 2}, {370, 3}};
            String[] fragNames = {"", "DF ", "first-fragment ", "middle-fragment ", "last-fragment "};
            for (int opt : new int[]{0, 2, 10}) {
                for (int fi = 0; fi < frags.length; fi++) {
                    String p = vn + "IPv4" + (opt > 0 ? "+" + opt * 4 + "B options " : " ") + fragNames[fi];
                    int ff = frags[fi][0];
                    out.add(new Frame(p + "TCP SYN", eth(tags, 0x0800, ipv4(6, 0xb8, opt, ff, tcp(40000, 443, TcpFlags.SYN, 0)))));
                    out.add(new Frame(p + "TCP PSH|ACK", eth(tags, 0x0800, ipv4(6, 0x00, opt, ff, tcp(40001, 80, TcpFlags.PSH | TcpFlags.ACK, 6)))));
                    out.add(new Frame(p + "UDP", eth(tags, 0x0800, ipv4(17, 0x28, opt, ff, udp(5353, 53, 5)))));
                    out.add(new Frame(p + "ICMP echo", eth(tags, 0x0800, ipv4(1, 0, opt, ff, icmp(8, 0, 4)))));
                    out.add(new Frame(p + "SCTP", eth(tags, 0x0800, ipv4(132, 0x48, opt, ff, sctp(2905, 2906)))));
                    out.add(new Frame(p + "GRE", eth(tags, 0x0800, ipv4(47, 0, opt, ff, opaque(8)))));
                    out.add(new Frame(p + "ICMPv6 over IPv4 (no ports)", eth(tags, 0x0800, ipv4(58, 0, opt, ff, icmp(128, 0, 0)))));
                }
            }
            // IPv6: extension header chains x transport
            List<List<Ext>> chains = List.of(
                    List.of(),
                    List.of(Ext.options(IpProtocols.HOPOPTS, 0)),
                    List.of(Ext.options(IpProtocols.HOPOPTS, 0), Ext.options(IpProtocols.DSTOPTS, 1), Ext.options(IpProtocols.ROUTING, 2)),
                    List.of(Ext.fragment(0, true)),
                    List.of(Ext.fragment(0, false)),
                    List.of(Ext.fragment(100, true)),
                    List.of(Ext.options(IpProtocols.HOPOPTS, 0), Ext.fragment(200, false)),
                    List.of(Ext.ah(4)),
                    List.of(Ext.options(IpProtocols.DSTOPTS, 0), Ext.ah(1), Ext.fragment(0, true)),
                    eight(), nine());
            String[] chainNames = {"", "HBH ", "HBH+DST+RT ", "first-fragment ", "atomic-fragment ", "later-fragment ",
                    "HBH+last-fragment ", "AH ", "DST+AH+first-fragment ", "8-ext-headers ", "9-ext-headers "};
            for (int c = 0; c < chains.size(); c++) {
                String p = vn + "IPv6 " + chainNames[c];
                List<Ext> ch = chains.get(c);
                out.add(new Frame(p + "TCP SYN|ACK", eth(tags, 0x86dd, ipv6(0xb8, ch, 6, tcp(443, 40000, TcpFlags.SYN | TcpFlags.ACK, 0)))));
                out.add(new Frame(p + "TCP FIN", eth(tags, 0x86dd, ipv6(0x00, ch, 6, tcp(40002, 22, TcpFlags.FIN | TcpFlags.ACK, 3)))));
                out.add(new Frame(p + "UDP", eth(tags, 0x86dd, ipv6(0x28, ch, 17, udp(1234, 4789, 5)))));
                out.add(new Frame(p + "ICMPv6 echo", eth(tags, 0x86dd, ipv6(0, ch, 58, icmp(128, 0, 4)))));
                out.add(new Frame(p + "SCTP", eth(tags, 0x86dd, ipv6(0x20, ch, 132, sctp(36412, 36412)))));
                out.add(new Frame(p + "ESP", eth(tags, 0x86dd, ipv6(0, ch, 50, opaque(8)))));
                out.add(new Frame(p + "no next header", eth(tags, 0x86dd, ipv6(0, ch, 59, opaque(0)))));
                out.add(new Frame(p + "ICMP over IPv6 (no ports)", eth(tags, 0x86dd, ipv6(0, ch, 1, icmp(8, 0, 0)))));
            }
            // other: not IP, malformed
            out.add(new Frame(vn + "ARP", eth(tags, 0x0806, opaque(28))));
            out.add(new Frame(vn + "LLDP", eth(tags, 0x88cc, opaque(10))));
            out.add(new Frame(vn + "IPv4 ethertype, version 6", eth(tags, 0x0800, ipv6(0, List.of(), 17, udp(1, 2, 0)))));
            out.add(new Frame(vn + "IPv6 ethertype, version 4", eth(tags, 0x86dd, ipv4(17, 0, 0, 0, udp(1, 2, 30)))));
            byte[] shortIhl = ipv4(17, 0, 0, 0, udp(1, 2, 0));
            shortIhl[0] = 0x44;
            out.add(new Frame(vn + "IPv4 ihl 4", eth(tags, 0x0800, shortIhl)));
        }
        out.add(new Frame("three VLAN tags", eth(new int[]{0x88a8, 0x8100, 0x8100}, 0x0800, ipv4(17, 0, 0, 0, udp(1, 2, 0)))));
        return out;
    }

    private static List<Ext> eight() {
        List<Ext> l = new ArrayList<>();
        l.add(Ext.options(IpProtocols.HOPOPTS, 0));
        for (int i = 0; i < 6; i++) l.add(Ext.options(IpProtocols.DSTOPTS, 0));
        l.add(Ext.options(IpProtocols.ROUTING, 0));
        return l;
    }

    private static List<Ext> nine() {
        List<Ext> l = eight();
        l.add(Ext.options(IpProtocols.DSTOPTS, 0));
        return l;
    }
}
