package io.packetlens.flow;

import io.packetlens.packet.IpProtocol;
import io.packetlens.packet.TunnelType;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * What identifies a flow: {@code struct pl_flow_key} of packetlens_flow.h, 52 bytes. IPv4 addresses travel in the
 * kernel as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}) and come back here as {@link Inet4Address}. For ICMP and ICMPv6
 * the destination port holds {@code type << 8 | code} (NetFlow's convention) and the source port is 0; non-first
 * fragments and protocols without ports have both ports 0. {@code vlan} is the outermost VLAN id, 0 when untagged.
 * A tunnelled packet's key is its inner packet's, with the {@link Tunnel} it came out of.
 *
 * <pre>
 *  0  u8[16] src    16  u8[16] dst    32  u16 sport    34  u16 dport
 * 36  u16 vlan      38  u8 proto      39  u8 direction  40  u32 ifindex
 * 44  u32 tunnel_id 48  u8 tunnel     49  u8[3] pad
 * </pre>
 * Addresses in network byte order, every other field in host byte order.
 */
public record FlowKey(InetAddress source, InetAddress destination, int sourcePort, int destinationPort,
                      int protocol, int vlan, int ifindex, Direction direction, Tunnel tunnel) {
    public static final int SIZE = 52;
    public static final int SRC = 0;
    public static final int DST = 16;
    public static final int SRC_PORT = 32;
    public static final int DST_PORT = 34;
    public static final int VLAN = 36;
    public static final int PROTOCOL = 38;
    public static final int DIRECTION = 39;
    public static final int IFINDEX = 40;
    public static final int TUNNEL_ID = 44;
    public static final int TUNNEL = 48;

    private static final byte[] V4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    public FlowKey {
        Objects.requireNonNull(source);
        Objects.requireNonNull(destination);
        Objects.requireNonNull(direction);
        Objects.requireNonNull(tunnel);
    }

    /** A flow outside any tunnel. */
    public FlowKey(InetAddress source, InetAddress destination, int sourcePort, int destinationPort, int protocol, int vlan,
                   int ifindex, Direction direction) {
        this(source, destination, sourcePort, destinationPort, protocol, vlan, ifindex, direction, Tunnel.NONE);
    }

    /** Reads the key at {@code offset} of {@code src}. */
    public static FlowKey read(MemorySegment src, long offset) {
        byte[] b = new byte[SIZE];
        MemorySegment.copy(src, JAVA_BYTE, offset, b, 0, SIZE);
        return read(b);
    }

    /**
     * Reads the key from its {@link #SIZE} bytes as the kernel stores them. Plain array reads: the aggregator makes a
     * key for every new flow, tens of thousands in its first poll, before the JIT has compiled anything.
     */
    static FlowKey read(byte[] b) {
        return new FlowKey(address(b, SRC), address(b, DST), u16(b, SRC_PORT), u16(b, DST_PORT), b[PROTOCOL] & 0xff,
                u16(b, VLAN), u32(b, IFINDEX), Direction.of(b[DIRECTION]), tunnel(b[TUNNEL] & 0xff, u32(b, TUNNEL_ID)));
    }

    private static Tunnel tunnel(int type, int id) {
        return type == 0 ? Tunnel.NONE : new Tunnel(TunnelType.of(type), Integer.toUnsignedLong(id));
    }

    private static final boolean LITTLE = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

    /** A host-byte-order u16 at {@code i}. */
    private static int u16(byte[] b, int i) {
        int lo = b[LITTLE ? i : i + 1] & 0xff, hi = b[LITTLE ? i + 1 : i] & 0xff;
        return hi << 8 | lo;
    }

    /** A host-byte-order u32 at {@code i}. */
    private static int u32(byte[] b, int i) {
        return LITTLE ? (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24
                : (b[i + 3] & 0xff) | (b[i + 2] & 0xff) << 8 | (b[i + 1] & 0xff) << 16 | (b[i] & 0xff) << 24;
    }

    /** Writes the key at {@code offset} of {@code dst} (all {@link #SIZE} bytes). */
    public void write(MemorySegment dst, long offset) {
        MemorySegment.copy(address16(source), 0, dst, JAVA_BYTE, offset + SRC, 16);
        MemorySegment.copy(address16(destination), 0, dst, JAVA_BYTE, offset + DST, 16);
        dst.set(JAVA_SHORT_UNALIGNED, offset + SRC_PORT, (short) sourcePort);
        dst.set(JAVA_SHORT_UNALIGNED, offset + DST_PORT, (short) destinationPort);
        dst.set(JAVA_SHORT_UNALIGNED, offset + VLAN, (short) vlan);
        dst.set(JAVA_BYTE, offset + PROTOCOL, (byte) protocol);
        dst.set(JAVA_BYTE, offset + DIRECTION, (byte) direction.code());
        dst.set(JAVA_INT_UNALIGNED, offset + IFINDEX, ifindex);
        dst.set(JAVA_INT_UNALIGNED, offset + TUNNEL_ID, (int) tunnel.id());
        dst.set(JAVA_BYTE, offset + TUNNEL, (byte) tunnel.type().code());
        dst.asSlice(offset + TUNNEL + 1, 3).fill((byte) 0);
    }

    /** The key as the kernel stores it. */
    public byte[] toBytes() {
        byte[] b = new byte[SIZE];
        write(MemorySegment.ofArray(b), 0);
        return b;
    }

    public boolean isIpv4() {
        return source instanceof Inet4Address;
    }

    /** ICMP or ICMPv6 type (from the destination port), or -1 for other protocols. */
    public int icmpType() {
        return isIcmp() ? destinationPort >>> 8 : -1;
    }

    /** ICMP or ICMPv6 code (from the destination port), or -1 for other protocols. */
    public int icmpCode() {
        return isIcmp() ? destinationPort & 0xff : -1;
    }

    private boolean isIcmp() {
        return isIpv4() ? protocol == IpProtocol.ICMP : protocol == IpProtocol.ICMPV6;
    }

    /** The 16 bytes the kernel uses for an address: IPv4 mapped into IPv6. */
    static byte[] address16(InetAddress a) {
        byte[] raw = a.getAddress();
        if (raw.length == 16) return raw;
        byte[] m = new byte[16];
        System.arraycopy(V4_MAPPED_PREFIX, 0, m, 0, 12);
        System.arraycopy(raw, 0, m, 12, 4);
        return m;
    }

    static InetAddress address(byte[] b, int offset) {
        try {
            // getByAddress turns an IPv4-mapped address into an Inet4Address
            return InetAddress.getByAddress(Arrays.copyOfRange(b, offset, offset + 16));
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes are always an address", e);
        }
    }

    @Override
    public String toString() {
        String p = IpProtocol.name(protocol);
        String s = source.getHostAddress(), d = destination.getHostAddress();
        String ends = isIcmp() ? s + " -> " + d + " type " + icmpType() + " code " + icmpCode()
                : isIpv4() ? s + ":" + sourcePort + " -> " + d + ":" + destinationPort
                : "[" + s + "]:" + sourcePort + " -> [" + d + "]:" + destinationPort;
        return p + " " + ends + (vlan != 0 ? " vlan " + vlan : "") + (tunnel.isTunnel() ? " " + tunnel : "") + " if " + ifindex + " " + direction.name().toLowerCase();
    }
}
