package io.packetlens.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Ethernet/IPv4/UDP or TCP frames of a fixed size over F flows, for traffic generation. Every frame is one template
 * ({@link Frame}-built, DF set) except the ports, which name the flow (source port 1024 + i mod 64512, destination port
 * base + i / 64512), and the transport checksum, which is computed incrementally from a precomputed sum (RFC 1624):
 * stamping flow i into a frame already holding the template writes six bytes and allocates nothing.
 */
public final class FlowFrames implements FrameSource {
    public static final int ETH = 14, IP = 20, UDP = 8, TCP = 20;
    private static final int PORTS = 64512;
    private static final int MAX_SIZE = 9000;
    private static final ValueLayout.OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** UDP or TCP. */
    public enum Protocol {
        UDP(IpProtocol.UDP, FlowFrames.UDP, 6), TCP(IpProtocol.TCP, FlowFrames.TCP, 16);

        final int number;
        final int headerSize;
        final int checksumOffset;

        Protocol(int number, int headerSize, int checksumOffset) {
            this.number = number;
            this.headerSize = headerSize;
            this.checksumOffset = checksumOffset;
        }
    }

    private final byte[] template;
    private final Protocol protocol;
    private final int flows;
    private final int baseDstPort;
    /** Ones'-complement sum of the pseudo-header, transport header (ports and checksum zero) and payload. */
    private final long partialSum;
    private final int l4 = ETH + IP;

    public FlowFrames(Protocol protocol, int size, int flows, byte[] srcMac, byte[] dstMac, InetAddress src, InetAddress dst, int baseDstPort) {
        if (!(src instanceof Inet4Address) || !(dst instanceof Inet4Address)) throw new IllegalArgumentException("IPv4 addresses only");
        int min = ETH + IP + protocol.headerSize;
        if (size < min || size > MAX_SIZE) throw new IllegalArgumentException("frame size must be " + min + ".." + MAX_SIZE + " bytes for " + protocol + ", not " + size);
        if (flows < 1) throw new IllegalArgumentException("flows must be >= 1");
        if (baseDstPort < 1 || baseDstPort + (flows - 1) / PORTS > 65535) throw new IllegalArgumentException("destination port range out of bounds");
        this.protocol = protocol;
        this.flows = flows;
        this.baseDstPort = baseDstPort;
        Frame f = Frame.ethernet(srcMac, dstMac).ipv4(src, dst).dontFragment();
        if (protocol == Protocol.UDP) {
            f.udp(0, 0);
        } else {
            // an ACK segment with a fixed sequence: enough for capture and flow tools to see a TCP flow
            f.tcp(0, 0).tcpFlags(0x10).sequence(1).acknowledgment(1);
        }
        this.template = f.payload(size - min).build();
        int l4len = size - l4;
        byte[] zeroed = template.clone();
        zeroed[l4 + protocol.checksumOffset] = 0;
        zeroed[l4 + protocol.checksumOffset + 1] = 0;
        long pseudo = Checksums.pseudoHeader(src.getAddress(), dst.getAddress(), protocol.number, l4len);
        this.partialSum = Checksums.sum(zeroed, l4, l4len, pseudo);
    }

    @Override
    public int size() {
        return template.length;
    }

    public int flows() {
        return flows;
    }

    /** One frame per flow: {@link #flows()}. */
    @Override
    public int frames() {
        return flows;
    }

    public Protocol protocol() {
        return protocol;
    }

    public static int srcPort(int flow) {
        return 1024 + flow % PORTS;
    }

    public int dstPort(int flow) {
        return baseDstPort + flow / PORTS;
    }

    /** Copies the whole template to {@code offset} of {@code dst}. */
    @Override
    public void writeTemplate(MemorySegment dst, long offset) {
        MemorySegment.copy(template, 0, dst, JAVA_BYTE, offset, template.length);
    }

    /** Turns a template already at {@code offset} into a frame of flow {@code flow}: ports and checksum. */
    @Override
    public void stamp(MemorySegment dst, long offset, int flow) {
        int sp = srcPort(flow), dp = dstPort(flow);
        int c = ~Checksums.fold(partialSum + sp + dp) & 0xffff;
        if (protocol == Protocol.UDP && c == 0) c = 0xffff; // 0 means "no checksum" for UDP
        long l4at = offset + l4;
        dst.set(BE16, l4at, (short) sp);
        dst.set(BE16, l4at + 2, (short) dp);
        dst.set(BE16, l4at + protocol.checksumOffset, (short) c);
    }

    /** Flow {@code flow}'s frame as bytes (tests, diagnostics). */
    @Override
    public byte[] frame(int flow) {
        MemorySegment m = MemorySegment.ofArray(template.clone());
        stamp(m, 0, flow);
        return m.toArray(JAVA_BYTE);
    }
}
