package io.packetlens.packet;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The frame parser of the kernel programs ({@code pl_parse} in {@code programs/src/main/bpf/include/packetlens_parse.h})
 * written again in Java, step for step, so that tests can say what the kernel makes of any frame. It reads Ethernet,
 * up to two VLAN tags (802.1Q, 802.1ad), IPv4 (options skipped, fragments), IPv6 (up to
 * {@value #MAX_IPV6_EXTENSION_HEADERS} extension headers: hop-by-hop, routing, fragment, AH, destination options),
 * then the ports of TCP, UDP and SCTP and the type and code of ICMP (in IPv4) and ICMPv6 (in IPv6), each only when its
 * whole header is there (20, 8, 12 and 4 bytes). A later fragment ends the parse with its protocol and no ports.
 * Change it together with the C parser: the flow module's FlowParserTest compares them frame by frame.
 */
public final class PacketParser {
    /** {@code PL_IPV6_MAX_EXT}: extension headers walked before a frame is {@link ParseStatus#EXT_LIMIT}. */
    public static final int MAX_IPV6_EXTENSION_HEADERS = 8;
    public static final int ETH_HLEN = 14;

    private PacketParser() {}

    /** Parses a whole frame as XDP sees it. */
    public static ParsedPacket parse(byte[] frame) {
        return parse(frame, frame.length, -1);
    }

    /**
     * Parses the first {@code length} bytes of {@code frame}.
     *
     * @param hwVlan the VLAN id the device took out of the frame (TC with VLAN acceleration), or -1
     */
    public static ParsedPacket parse(byte[] frame, int length, int hwVlan) {
        State s = new State(frame, Math.min(length, frame.length));
        return s.result(s.parse(hwVlan));
    }

    /** The fields of {@code struct pl_packet}, filled in the order the C parser fills them. */
    private static final class State {
        final byte[] f;
        final int len;
        byte[] src, dst;
        int ipVersion, sport, dport, vlan, proto, lastProto, tcpFlags, ethertype, dscp, ipLength;
        int l3Offset, l4Offset, fragmentDataOffset, fragmentOffset;
        long fragmentId;
        boolean fragment, laterFragment, moreFragments;

        State(byte[] f, int len) {
            this.f = f;
            this.len = len;
        }

        int u8(int off) {
            return f[off] & 0xff;
        }

        int u16(int off) {
            return (u8(off) << 8) | u8(off + 1);
        }

        ParsedPacket result(ParseStatus status) {
            return new ParsedPacket(status, ethertype, vlan, ipVersion, address(src), address(dst), sport, dport, proto,
                    lastProto, tcpFlags, dscp, fragment, laterFragment, ipLength, l3Offset, l4Offset, moreFragments,
                    fragmentId, fragmentOffset, fragmentDataOffset);
        }

        ParseStatus parse(int hwVlan) {
            if (len < ETH_HLEN) return ParseStatus.TRUNCATED;
            int type = u16(12);
            int off = ETH_HLEN;
            int v = hwVlan;
            ethertype = type;
            for (int i = 0; i < 2; i++) {
                if (type != EtherType.VLAN && type != EtherType.QINQ) break;
                if (off + 4 > len) return ParseStatus.TRUNCATED;
                if (v < 0) v = u16(off) & 0x0fff;
                type = u16(off + 2);
                ethertype = type;
                off += 4;
            }
            vlan = v < 0 ? 0 : v;
            if (type == EtherType.IPV4) return ipv4(off);
            if (type == EtherType.IPV6) return ipv6(off);
            return ParseStatus.NOT_IP;
        }

        ParseStatus ipv4(int off) {
            if (off + 20 > len) return ParseStatus.TRUNCATED;
            l3Offset = off;
            int version = u8(off) >> 4, ihl = u8(off) & 0x0f;
            if (version != 4 || ihl < 5) return ParseStatus.MALFORMED;
            int hlen = ihl * 4;
            int protocol = u8(off + 9);
            lastProto = protocol;
            if (off + hlen > len) return ParseStatus.TRUNCATED;
            src = slice(off + 12, 4);
            dst = slice(off + 16, 4);
            ipVersion = 4;
            dscp = u8(off + 1) >> 2;
            ipLength = u16(off + 2);
            int frag = u16(off + 6);
            if ((frag & 0x3fff) != 0) {
                fragment = true;
                moreFragments = (frag & 0x2000) != 0;
                fragmentOffset = (frag & 0x1fff) * 8;
                fragmentId = u16(off + 4);
                fragmentDataOffset = off + hlen;
            }
            if ((frag & 0x1fff) != 0) {
                laterFragment = true;
                proto = protocol;
                l4Offset = off + hlen;
                return ParseStatus.OK;
            }
            return l4(off + hlen, protocol, IpProtocol.ICMP);
        }

        ParseStatus ipv6(int off) {
            if (off + 40 > len) return ParseStatus.TRUNCATED;
            l3Offset = off;
            if (u8(off) >> 4 != 6) return ParseStatus.MALFORMED;
            src = slice(off + 8, 16);
            dst = slice(off + 24, 16);
            ipVersion = 6;
            ipLength = 40 + u16(off + 4);
            int trafficClass = ((u8(off) & 0x0f) << 4) | (u8(off + 1) >> 4);
            dscp = trafficClass >> 2;
            int nh = u8(off + 6);
            off += 40;
            for (int i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++) {
                if (!IpProtocol.isIpv6Extension(nh)) break;
                lastProto = nh;
                if (off + 8 > len) return ParseStatus.TRUNCATED;
                int next = u8(off);
                if (nh == IpProtocol.FRAGMENT) {
                    int fo = u16(off + 2);
                    fragment = true;
                    moreFragments = (fo & 1) != 0;
                    fragmentOffset = fo & 0xfff8;
                    fragmentId = ((long) u16(off + 4) << 16) | u16(off + 6);
                    fragmentDataOffset = off + 8;
                    if ((fo & 0xfff8) != 0) {
                        laterFragment = true;
                        proto = next;
                        lastProto = next;
                        l4Offset = off + 8;
                        return ParseStatus.OK;
                    }
                    off += 8;
                } else if (nh == IpProtocol.AH) {
                    off += (u8(off + 1) + 2) * 4;
                } else {
                    off += (u8(off + 1) + 1) * 8;
                }
                nh = next;
            }
            if (IpProtocol.isIpv6Extension(nh)) {
                lastProto = nh;
                return ParseStatus.EXT_LIMIT;
            }
            return l4(off, nh, IpProtocol.ICMPV6);
        }

        ParseStatus l4(int off, int protocol, int icmpProtocol) {
            l4Offset = off;
            proto = protocol;
            lastProto = protocol;
            if (protocol == IpProtocol.TCP) {
                if (off + 20 > len) return ParseStatus.TRUNCATED;
                sport = u16(off);
                dport = u16(off + 2);
                tcpFlags = u8(off + 13);
            } else if (protocol == IpProtocol.UDP) {
                if (off + 8 > len) return ParseStatus.TRUNCATED;
                sport = u16(off);
                dport = u16(off + 2);
            } else if (protocol == IpProtocol.SCTP) {
                if (off + 12 > len) return ParseStatus.TRUNCATED;
                sport = u16(off);
                dport = u16(off + 2);
            } else if (protocol == icmpProtocol) {
                if (off + 4 > len) return ParseStatus.TRUNCATED;
                dport = u8(off) << 8 | u8(off + 1);
            }
            return ParseStatus.OK;
        }

        byte[] slice(int off, int n) {
            byte[] b = new byte[n];
            System.arraycopy(f, off, b, 0, n);
            return b;
        }
    }

    private static InetAddress address(byte[] raw) {
        if (raw == null) return null;
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
