package io.packetlens.flow;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The flow parser of {@code packetlens_flow.h} ({@code pl_flow_parse}) written again in Java, step for step, so that
 * tests can check the kernel's result for any frame: the flow key the frame belongs to, or the "other" key it is
 * counted under. It reads Ethernet, up to two VLAN tags, IPv4 (options), IPv6 (up to
 * {@value #MAX_IPV6_EXTENSION_HEADERS} extension headers), TCP, UDP, SCTP, ICMP and ICMPv6; non-first fragments
 * belong to the flow of their addresses and protocol with ports 0.
 */
public final class ReferenceParser {
    /** {@code PL_IPV6_MAX_EXT}: extension headers walked before a frame counts as {@link OtherReason#EXT_LIMIT}. */
    public static final int MAX_IPV6_EXTENSION_HEADERS = 8;

    public static final int ETH_HLEN = 14;
    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_IPV6 = 0x86dd;
    public static final int ETH_P_8021Q = 0x8100;
    public static final int ETH_P_8021AD = 0x88a8;

    private ReferenceParser() {}

    /** What the parser made of a frame. */
    public sealed interface Result permits Flow, Other {}

    /**
     * A flow packet: its key and what it adds to the flow record besides one packet and its frame length;
     * {@code ipLength} is the IP header's total length (IPv6: 40 + payload length), not what the frame holds.
     */
    public record Flow(FlowKey key, int tcpFlags, int dscp, boolean fragment, int ipLength) implements Result {
        /** The record a flow table holds after this frame alone, {@code length} bytes long, seen at {@code nanos}. */
        public FlowRecord record(int length, long nanos) {
            return new FlowRecord(1, length, nanos, nanos, ipLength, ipLength, tcpFlags, dscp, fragment, ipLength);
        }
    }

    /** A frame counted under an "other" key. */
    public record Other(OtherKey key) implements Result {}

    /** Parses a whole frame as XDP sees it, or TC without a VLAN tag taken out by the device. */
    public static Result parse(byte[] frame, int ifindex, Direction direction) {
        return parse(frame, frame.length, -1, ifindex, direction);
    }

    /**
     * Parses the first {@code length} bytes of {@code frame}.
     *
     * @param hwVlan the VLAN id the device took out of the frame (TC with VLAN acceleration), or -1
     */
    public static Result parse(byte[] frame, int length, int hwVlan, int ifindex, Direction direction) {
        return new State(frame, Math.min(length, frame.length), ifindex, direction).parse(hwVlan);
    }

    /** The fields of {@code struct pl_parsed}, filled as the C parser fills them. */
    private static final class State {
        final byte[] f;
        final int len;
        final int ifindex;
        final Direction direction;
        byte[] src = new byte[16];
        byte[] dst = new byte[16];
        int sport, dport, vlan, proto, tcpFlags, ethertype, dscp, otherProto, ipLength;
        boolean fragment;

        State(byte[] f, int len, int ifindex, Direction direction) {
            this.f = f;
            this.len = len;
            this.ifindex = ifindex;
            this.direction = direction;
        }

        int u8(int off) {
            return f[off] & 0xff;
        }

        int u16(int off) {
            return (u8(off) << 8) | u8(off + 1);
        }

        Result other(OtherReason reason) {
            return new Other(new OtherKey(ifindex, direction, ethertype, otherProto, reason));
        }

        Result flow() {
            FlowKey key = new FlowKey(address(src), address(dst), sport, dport, proto, vlan, ifindex, direction);
            return new Flow(key, tcpFlags, dscp, fragment, ipLength);
        }

        Result parse(int hwVlan) {
            if (len < ETH_HLEN) return other(OtherReason.TRUNCATED);
            int type = u16(12);
            int off = ETH_HLEN;
            int v = hwVlan;
            ethertype = type;
            for (int i = 0; i < 2; i++) {
                if (type != ETH_P_8021Q && type != ETH_P_8021AD) break;
                if (off + 4 > len) return other(OtherReason.TRUNCATED);
                if (v < 0) v = u16(off) & 0x0fff;
                type = u16(off + 2);
                ethertype = type;
                off += 4;
            }
            vlan = v < 0 ? 0 : v;
            if (type == ETH_P_IP) return ipv4(off);
            if (type == ETH_P_IPV6) return ipv6(off);
            return other(OtherReason.ETHERTYPE);
        }

        Result ipv4(int off) {
            if (off + 20 > len) return other(OtherReason.TRUNCATED);
            int version = u8(off) >> 4, ihl = u8(off) & 0x0f;
            if (version != 4 || ihl < 5) return other(OtherReason.MALFORMED);
            int hlen = ihl * 4;
            int protocol = u8(off + 9);
            otherProto = protocol;
            if (off + hlen > len) return other(OtherReason.TRUNCATED);
            mapped(src, off + 12);
            mapped(dst, off + 16);
            dscp = u8(off + 1) >> 2;
            ipLength = u16(off + 2);
            int frag = u16(off + 6);
            if ((frag & 0x3fff) != 0) fragment = true;
            if ((frag & 0x1fff) != 0) {
                proto = protocol;
                return flow();
            }
            return l4(off + hlen, protocol, IpProtocols.ICMP);
        }

        Result ipv6(int off) {
            if (off + 40 > len) return other(OtherReason.TRUNCATED);
            if (u8(off) >> 4 != 6) return other(OtherReason.MALFORMED);
            System.arraycopy(f, off + 8, src, 0, 16);
            System.arraycopy(f, off + 24, dst, 0, 16);
            ipLength = 40 + u16(off + 4);
            int trafficClass = ((u8(off) & 0x0f) << 4) | (u8(off + 1) >> 4);
            dscp = trafficClass >> 2;
            int nh = u8(off + 6);
            off += 40;
            for (int i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++) {
                if (!isExtension(nh)) break;
                otherProto = nh;
                if (off + 8 > len) return other(OtherReason.TRUNCATED);
                int next = u8(off);
                if (nh == IpProtocols.FRAGMENT) {
                    fragment = true;
                    if ((u16(off + 2) & 0xfff8) != 0) {
                        proto = next;
                        otherProto = next;
                        return flow();
                    }
                    off += 8;
                } else if (nh == IpProtocols.AH) {
                    off += (u8(off + 1) + 2) * 4;
                } else {
                    off += (u8(off + 1) + 1) * 8;
                }
                nh = next;
            }
            if (isExtension(nh)) {
                otherProto = nh;
                return other(OtherReason.EXT_LIMIT);
            }
            return l4(off, nh, IpProtocols.ICMPV6);
        }

        Result l4(int off, int protocol, int icmpProtocol) {
            proto = protocol;
            otherProto = protocol;
            if (protocol == IpProtocols.TCP) {
                if (off + 20 > len) return other(OtherReason.TRUNCATED);
                sport = u16(off);
                dport = u16(off + 2);
                tcpFlags = u8(off + 13);
            } else if (protocol == IpProtocols.UDP) {
                if (off + 8 > len) return other(OtherReason.TRUNCATED);
                sport = u16(off);
                dport = u16(off + 2);
            } else if (protocol == IpProtocols.SCTP) {
                if (off + 12 > len) return other(OtherReason.TRUNCATED);
                sport = u16(off);
                dport = u16(off + 2);
            } else if (protocol == icmpProtocol) {
                if (off + 4 > len) return other(OtherReason.TRUNCATED);
                dport = u8(off) << 8 | u8(off + 1);
            }
            return flow();
        }

        void mapped(byte[] to, int off) {
            Arrays.fill(to, (byte) 0);
            to[10] = (byte) 0xff;
            to[11] = (byte) 0xff;
            System.arraycopy(f, off, to, 12, 4);
        }
    }

    static boolean isExtension(int nh) {
        return nh == IpProtocols.HOPOPTS || nh == IpProtocols.ROUTING || nh == IpProtocols.FRAGMENT
                || nh == IpProtocols.AH || nh == IpProtocols.DSTOPTS;
    }

    private static InetAddress address(byte[] sixteen) {
        try {
            return InetAddress.getByAddress(sixteen.clone());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
