package io.packetlens.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * {@link PacketParser}'s parse, done in place: the fields of {@code struct pl_packet} of {@code packetlens_parse.h},
 * filled by {@link #parse} from a frame anywhere in memory (a byte array, a mapped capture ring) into this one reusable
 * object. Parsing allocates nothing, so a loop over millions of frames (the flow monitor's AF_PACKET fallback, a
 * capture filter) can use it; {@link PacketParser#parse(byte[])} is this parse followed by {@link #toParsedPacket()}.
 * Addresses are kept as the kernel keeps them: 16 bytes in network order, IPv4 as {@code ::ffff:a.b.c.d}.
 * With a {@link #decapsulation} that is on, a tunnelled packet ({@code packetlens_tunnel.h}: VXLAN, GRE, IP in IP) is
 * parsed as the packet inside it, as the flow program does; the default is off, the outer packet, as the capture
 * filter parses. Not thread-safe: one object per thread.
 */
public final class PacketFields {
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final byte[] V4_MAPPED = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    private MemorySegment f;
    private long base;
    private int len;

    private ParseStatus status = ParseStatus.TRUNCATED;
    private final byte[] src = new byte[16], dst = new byte[16];
    private int ipVersion, sport, dport, vlan, proto, lastProto, tcpFlags, ethertype, dscp, ipLength;
    private int l3Offset, l4Offset, fragmentDataOffset, fragmentOffset;
    private long fragmentId;
    private boolean fragment, laterFragment, moreFragments;

    private Decapsulation decapsulation = Decapsulation.OFF;
    private TunnelType tunnel = TunnelType.NONE;
    private long tunnelId;
    private final byte[] outerSrc = new byte[16], outerDst = new byte[16];
    private int outerVersion;

    /** Whether, and on which VXLAN ports, later parses look into tunnels. */
    public PacketFields decapsulation(Decapsulation d) {
        decapsulation = java.util.Objects.requireNonNull(d);
        return this;
    }

    /**
     * Parses the {@code length} bytes of a frame at {@code offset} of {@code frame} as the flow program does at XDP,
     * or at TC when the device took the outer VLAN tag out of the frame: {@code hwVlan} is that tag's VLAN id (the
     * outermost, and it counts towards the two tags the parser reads, as at XDP where it is still in the frame), or -1.
     */
    public ParseStatus parse(MemorySegment frame, long offset, int length, int hwVlan) {
        return run(frame, offset, length, hwVlan, hwVlan >= 0 ? 1 : 2);
    }

    /**
     * Parses a frame whose outer VLAN tag the device took out (an AF_PACKET socket hands frames over that way, with the
     * tag's TCI beside them) as the frame was on the wire, with that tag in place: what XDP sees. Unlike
     * {@link #parse}'s {@code hwVlan}, the tag counts towards the two tags the parser reads, so a frame that had three
     * is "not IP" here as at XDP. Lengths and offsets stay those of the frame as given (without the tag).
     */
    public ParseStatus parseWithOuterTag(MemorySegment frame, long offset, int length, int tci) {
        return run(frame, offset, length, tci & 0x0fff, 1);
    }

    private ParseStatus run(MemorySegment frame, long offset, int length, int hwVlan, int frameTags) {
        f = frame;
        base = offset;
        len = (int) Math.max(0, Math.min(length, frame.byteSize() - offset));
        reset();
        tunnel = TunnelType.NONE;
        tunnelId = 0;
        outerVersion = 0;
        status = parseEthernet(0, hwVlan, frameTags);
        if (status == ParseStatus.OK && decapsulation.enabled()) decapsulate(hwVlan, frameTags);
        f = null; // not kept: the frame may be unmapped or reused after the call
        return status;
    }

    private void reset() {
        Arrays.fill(src, (byte) 0);
        Arrays.fill(dst, (byte) 0);
        ipVersion = sport = dport = vlan = proto = lastProto = tcpFlags = ethertype = dscp = ipLength = 0;
        l3Offset = l4Offset = fragmentDataOffset = fragmentOffset = 0;
        fragmentId = 0;
        fragment = laterFragment = moreFragments = false;
    }

    private int u8(int off) {
        return f.get(JAVA_BYTE, base + off) & 0xff;
    }

    private int u16(int off) {
        return f.get(BE16, base + off) & 0xffff;
    }

    private long u32(int off) {
        return (long) u16(off) << 16 | u16(off + 2);
    }

    /** {@code PL_TUNNEL_MAX_OFF}: the deepest transport header a tunnel is looked for behind. */
    private static final int TUNNEL_MAX_OFFSET = 512;

    /** {@code pl_tunnel_candidate}: the tunnel the parsed outer packet may carry. */
    private TunnelType candidate() {
        if (fragment || l4Offset > TUNNEL_MAX_OFFSET) return TunnelType.NONE;
        if (proto == IpProtocol.UDP) return decapsulation.isVxlanPort(dport) ? TunnelType.VXLAN : TunnelType.NONE;
        if (proto == IpProtocol.GRE) return TunnelType.GRE;
        if (proto == IpProtocol.IPIP || proto == IpProtocol.IPV6) return TunnelType.IPIP;
        return TunnelType.NONE;
    }

    /**
     * {@code pl_decap}: parses the packet inside the tunnel the outer packet carries; if it is not a whole IP packet, the
     * outer parse is done again and stands.
     */
    private void decapsulate(int hwVlan, int frameTags) {
        TunnelType type = candidate();
        if (type == TunnelType.NONE) return;
        int off = l4Offset, outerVlan = vlan, version = ipVersion;
        long id = 0;
        int inner;
        if (type == TunnelType.VXLAN) {
            if (off + 16 > len || (u8(off + 8) & 0x08) == 0) return;
            id = (long) u8(off + 12) << 16 | u8(off + 13) << 8 | u8(off + 14);
            off += 16;
            inner = EtherType.TEB;
        } else if (type == TunnelType.GRE) {
            if (off + 4 > len) return;
            int flags = u8(off);
            if ((u8(off + 1) & 0x07) != 0 || (flags & 0x40) != 0) return;
            inner = u16(off + 2);
            off += 4;
            if ((flags & 0x80) != 0) off += 4;
            if ((flags & 0x20) != 0) {
                if (off + 4 > len) return;
                id = u32(off);
                off += 4;
            }
            if ((flags & 0x10) != 0) off += 4;
        } else {
            inner = proto == IpProtocol.IPIP ? EtherType.IPV4 : EtherType.IPV6;
        }
        System.arraycopy(src, 0, outerSrc, 0, 16);
        System.arraycopy(dst, 0, outerDst, 0, 16);
        reset();
        ParseStatus s;
        if (inner == EtherType.TEB) {
            s = parseEthernet(off, -1, 2);
        } else {
            ethertype = inner;
            s = inner == EtherType.IPV4 ? ipv4(off) : inner == EtherType.IPV6 ? ipv6(off) : ParseStatus.NOT_IP;
        }
        if (s != ParseStatus.OK) { // no whole packet inside: the outer packet is the flow
            reset();
            status = parseEthernet(0, hwVlan, frameTags);
            return;
        }
        vlan = outerVlan;
        tunnel = type;
        tunnelId = id;
        outerVersion = version;
    }

    /** Ethernet at {@code at} (0, or inside a tunnel), up to {@code frameTags} VLAN tags, then IPv4 or IPv6. */
    private ParseStatus parseEthernet(int at, int hwVlan, int frameTags) {
        if (at + PacketParser.ETH_HLEN > len) return ParseStatus.TRUNCATED;
        int type = u16(at + 12);
        int off = at + PacketParser.ETH_HLEN;
        int v = hwVlan;
        ethertype = type;
        for (int i = 0; i < frameTags; i++) {
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

    private ParseStatus ipv4(int off) {
        if (off + 20 > len) return ParseStatus.TRUNCATED;
        l3Offset = off;
        int version = u8(off) >> 4, ihl = u8(off) & 0x0f;
        if (version != 4 || ihl < 5) return ParseStatus.MALFORMED;
        int hlen = ihl * 4;
        int protocol = u8(off + 9);
        lastProto = protocol;
        if (off + hlen > len) return ParseStatus.TRUNCATED;
        System.arraycopy(V4_MAPPED, 0, src, 0, 12);
        System.arraycopy(V4_MAPPED, 0, dst, 0, 12);
        MemorySegment.copy(f, JAVA_BYTE, base + off + 12, src, 12, 4);
        MemorySegment.copy(f, JAVA_BYTE, base + off + 16, dst, 12, 4);
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

    private ParseStatus ipv6(int off) {
        if (off + 40 > len) return ParseStatus.TRUNCATED;
        l3Offset = off;
        if (u8(off) >> 4 != 6) return ParseStatus.MALFORMED;
        MemorySegment.copy(f, JAVA_BYTE, base + off + 8, src, 0, 16);
        MemorySegment.copy(f, JAVA_BYTE, base + off + 24, dst, 0, 16);
        ipVersion = 6;
        ipLength = 40 + u16(off + 4);
        int trafficClass = ((u8(off) & 0x0f) << 4) | (u8(off + 1) >> 4);
        dscp = trafficClass >> 2;
        int nh = u8(off + 6);
        off += 40;
        for (int i = 0; i < PacketParser.MAX_IPV6_EXTENSION_HEADERS; i++) {
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

    private ParseStatus l4(int off, int protocol, int icmpProtocol) {
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

    /** The last parse as a record (allocates: for tests and tools). */
    public ParsedPacket toParsedPacket() {
        InetAddress s = ipVersion == 0 ? null : address(src, ipVersion), d = ipVersion == 0 ? null : address(dst, ipVersion);
        boolean tunnelled = tunnel != TunnelType.NONE;
        return new ParsedPacket(status, ethertype, vlan, ipVersion, s, d, sport, dport, proto, lastProto, tcpFlags, dscp,
                fragment, laterFragment, ipLength, l3Offset, l4Offset, moreFragments, fragmentId, fragmentOffset, fragmentDataOffset,
                tunnel, tunnelId, tunnelled ? address(outerSrc, outerVersion) : null, tunnelled ? address(outerDst, outerVersion) : null);
    }

    private static InetAddress address(byte[] raw16, int ipVersion) {
        try {
            // an IPv4-mapped address comes back as an Inet4Address
            return ipVersion == 4 ? InetAddress.getByAddress(Arrays.copyOfRange(raw16, 12, 16)) : InetAddress.getByAddress(raw16.clone());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** How far the last parse got. */
    public ParseStatus status() {
        return status;
    }

    public boolean ok() {
        return status == ParseStatus.OK;
    }

    /** Copies the source address (16 bytes, IPv4 as {@code ::ffff:a.b.c.d}; zero until read) to {@code to} at {@code at}. */
    public void copySource(MemorySegment to, long at) {
        MemorySegment.copy(src, 0, to, JAVA_BYTE, at, 16);
    }

    /** Copies the destination address like {@link #copySource}. */
    public void copyDestination(MemorySegment to, long at) {
        MemorySegment.copy(dst, 0, to, JAVA_BYTE, at, 16);
    }

    /** The tunnel the packet came out of, {@link TunnelType#NONE} when it was not decapsulated. */
    public TunnelType tunnel() {
        return tunnel;
    }

    /** The VXLAN VNI or GRE key of {@link #tunnel()}, else 0. */
    public long tunnelId() {
        return tunnelId;
    }

    /** Copies the tunnel's outer source address (16 bytes, as {@link #copySource}; zero outside a tunnel). */
    public void copyOuterSource(MemorySegment to, long at) {
        if (tunnel == TunnelType.NONE) to.asSlice(at, 16).fill((byte) 0);
        else MemorySegment.copy(outerSrc, 0, to, JAVA_BYTE, at, 16);
    }

    /** Copies the tunnel's outer destination address like {@link #copyOuterSource}. */
    public void copyOuterDestination(MemorySegment to, long at) {
        if (tunnel == TunnelType.NONE) to.asSlice(at, 16).fill((byte) 0);
        else MemorySegment.copy(outerDst, 0, to, JAVA_BYTE, at, 16);
    }

    /** Byte {@code i} (0..15) of the source address in its 16-byte form. */
    public byte sourceByte(int i) {
        return src[i];
    }

    /** Byte {@code i} (0..15) of the destination address in its 16-byte form. */
    public byte destinationByte(int i) {
        return dst[i];
    }

    /** See {@link ParsedPacket}: the same fields, same meanings. */
    public int ethertype() {
        return ethertype;
    }

    public int vlan() {
        return vlan;
    }

    public int ipVersion() {
        return ipVersion;
    }

    public int sourcePort() {
        return sport;
    }

    public int destinationPort() {
        return dport;
    }

    public int protocol() {
        return proto;
    }

    public int lastProtocol() {
        return lastProto;
    }

    public int tcpFlags() {
        return tcpFlags;
    }

    public int dscp() {
        return dscp;
    }

    public boolean fragment() {
        return fragment;
    }

    public boolean laterFragment() {
        return laterFragment;
    }

    public int ipLength() {
        return ipLength;
    }

    public int l3Offset() {
        return l3Offset;
    }

    public int l4Offset() {
        return l4Offset;
    }

    /** Whether the ports come from a TCP, UDP or SCTP header the parser read (as {@link ParsedPacket#hasPorts()}). */
    public boolean hasPorts() {
        return ok() && !laterFragment && (proto == IpProtocol.TCP || proto == IpProtocol.UDP || proto == IpProtocol.SCTP);
    }
}
