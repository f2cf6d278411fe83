package io.packetlens.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Ethernet/IPv4 frames of a fixed size from many source addresses to one destination, for floods: UDP datagrams, or
 * TCP SYN segments (SYN set, nothing else, no data). Frame {@code i} comes from source address
 * {@code first + i mod sources} and source port {@code 1024 + i / sources}, so a cycle through {@link #frames()} sends
 * {@code ports} frames from every source, each from another port. Everything else is one {@link Frame}-built template
 * (DF set, TTL 64, identification 0).
 *
 * <p>The IPv4 header checksum and the transport checksum are computed incrementally (RFC 1624) from sums precomputed
 * over the template with the source address and port zero: stamping frame {@code i} writes the address, the port and
 * both checksums (12 bytes) and allocates nothing. A SYN frame longer than its 54 bytes of headers is padded with zero
 * bytes after the IP datagram (the IP total length stays 40), as an Ethernet sender pads a short frame to 60 bytes.
 */
public final class SourceFrames implements FrameSource {
    /** What the frames carry. */
    public enum Kind {
        /** UDP datagrams, the payload filling the frame. */
        UDP,
        /** TCP segments with only SYN set (a connection attempt), sequence 1, window 65535, no options and no data. */
        SYN
    }

    private static final int ETH = 14, IP_CHECKSUM = ETH + 10, IP_SOURCE = ETH + 12, L4 = ETH + 20;
    private static final int BASE_PORT = 1024;
    private static final int MAX_SIZE = 4096;
    private static final ValueLayout.OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final Kind kind;
    private final byte[] template;
    private final int firstSource;
    private final int sources;
    private final int frames;
    private final int l4ChecksumOffset;
    /** Ones'-complement sums of the IPv4 header and of pseudo-header + transport segment, source address and port zero. */
    private final long ipSum, l4Sum;
    /** The template with source address, source port and both checksums zero. */
    private final byte[] zeroed;

    /**
     * @param kind    UDP or SYN
     * @param size    frame bytes without the FCS: 42.. for UDP, 54.. for SYN (60 is a 64-byte frame on the wire)
     * @param first   the first source address; sources are {@code first, first + 1, ...}
     * @param sources how many source addresses (65,536 for a /16)
     * @param ports   how many source ports per address (1..64,512): frames = sources x ports
     * @param dstPort the destination port of every frame
     */
    public SourceFrames(Kind kind, int size, byte[] srcMac, byte[] dstMac, Inet4Address first, int sources, int ports,
                        Inet4Address dst, int dstPort) {
        int headers = ETH + 20 + (kind == Kind.UDP ? 8 : 20);
        if (size < headers || size > MAX_SIZE) throw new IllegalArgumentException("frame size must be " + headers + ".." + MAX_SIZE + " bytes for " + kind + ", not " + size);
        if (sources < 1) throw new IllegalArgumentException("sources must be >= 1, not " + sources);
        if (ports < 1 || ports > 65536 - BASE_PORT) throw new IllegalArgumentException("ports must be 1.." + (65536 - BASE_PORT) + ", not " + ports);
        if ((long) sources * ports > Integer.MAX_VALUE) throw new IllegalArgumentException("sources x ports must fit an int: " + sources + " x " + ports);
        if (dstPort < 0 || dstPort > 65535) throw new IllegalArgumentException("destination port must be 0..65535, not " + dstPort);
        int firstInt = toInt(first.getAddress());
        if (Integer.toUnsignedLong(firstInt) + sources - 1 > 0xffffffffL) throw new IllegalArgumentException("the sources run past 255.255.255.255");
        this.kind = kind;
        this.firstSource = firstInt;
        this.sources = sources;
        this.frames = sources * ports;
        byte[] zero = new byte[4];
        Frame f = Frame.ethernet(srcMac, dstMac).ipv4(zero, dst.getAddress()).dontFragment();
        byte[] built;
        int protocol;
        if (kind == Kind.UDP) {
            built = f.udp(0, dstPort).payload(size - headers).build();
            protocol = IpProtocol.UDP;
            l4ChecksumOffset = L4 + 6;
        } else {
            built = f.tcp(0, dstPort).tcpFlags(0x02).sequence(1).build();
            protocol = IpProtocol.TCP;
            l4ChecksumOffset = L4 + 16;
        }
        template = java.util.Arrays.copyOf(built, size); // a SYN's padding: zero bytes after the datagram
        // the sums with source address, source port and both checksums zero; a stamp adds the frame's own
        int l4len = built.length - L4;
        byte[] z = template.clone();
        z[IP_CHECKSUM] = z[IP_CHECKSUM + 1] = 0;
        z[l4ChecksumOffset] = z[l4ChecksumOffset + 1] = 0;
        zeroed = z;
        ipSum = Checksums.sum(z, ETH, 20, 0);
        l4Sum = Checksums.sum(z, L4, l4len, Checksums.pseudoHeader(zero, dst.getAddress(), protocol, l4len));
        // the template itself is frame 0, so that a buffer holding only the template is already a valid frame
        MemorySegment t = MemorySegment.ofArray(template);
        stamp(t, 0, 0);
    }

    private static int toInt(byte[] a) {
        return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
    }

    /** A copy of the template with source address, source port and both checksums zero: what every frame is stamped from. */
    public byte[] zeroedTemplate() {
        return zeroed.clone();
    }

    /** The ones'-complement sum (big-endian 16-bit words, unfolded) of the zeroed template's IPv4 header. */
    public long ipHeaderSum() {
        return ipSum;
    }

    /** The same sum over what the transport checksum covers (pseudo-header and segment) in the zeroed template. */
    public long transportSum() {
        return l4Sum;
    }

    /** Where the transport checksum lies in the frame. */
    public int transportChecksumOffset() {
        return l4ChecksumOffset;
    }

    /** Source ports per address. */
    public int ports() {
        return frames / sources;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public int size() {
        return template.length;
    }

    /** sources x ports. */
    @Override
    public int frames() {
        return frames;
    }

    public int sources() {
        return sources;
    }

    /** The source address of frame {@code index}, as a big-endian int. */
    public int sourceAddress(int index) {
        return firstSource + Integer.remainderUnsigned(index, sources);
    }

    /** The source port of frame {@code index}. */
    public int sourcePort(int index) {
        return BASE_PORT + Integer.divideUnsigned(index, sources);
    }

    @Override
    public void writeTemplate(MemorySegment dst, long offset) {
        MemorySegment.copy(template, 0, dst, JAVA_BYTE, offset, template.length);
    }

    @Override
    public void stamp(MemorySegment dst, long offset, int index) {
        int src = sourceAddress(index), sp = sourcePort(index);
        long addr = (src >>> 16) + (src & 0xffff);
        int ipc = ~Checksums.fold(ipSum + addr) & 0xffff;
        int l4c = ~Checksums.fold(l4Sum + addr + sp) & 0xffff;
        if (kind == Kind.UDP && l4c == 0) l4c = 0xffff; // 0 means "no checksum" for UDP
        dst.set(BE32, offset + IP_SOURCE, src);
        dst.set(BE16, offset + IP_CHECKSUM, (short) ipc);
        dst.set(BE16, offset + L4, (short) sp);
        dst.set(BE16, offset + l4ChecksumOffset, (short) l4c);
    }
}
