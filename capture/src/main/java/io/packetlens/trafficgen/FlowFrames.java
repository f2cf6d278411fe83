package io.packetlens.trafficgen;

import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Crafted Ethernet/IPv4/UDP or TCP frames of a fixed size over F flows. Every frame is the
 * same template except the ports, which name the flow (source port 1024 + i mod 64512,
 * destination port base + i / 64512), and the L4 checksum, which is patched incrementally
 * (RFC 1624) from a precomputed sum: stamping flow i into a frame already holding the
 * template writes six bytes and allocates nothing.
 */
public final class FlowFrames {
    public static final int ETH = 14, IP = 20, UDP = 8, TCP = 20;
    private static final int PORTS = 64512;

    /** UDP or TCP. */
    public enum Protocol {
        UDP(17, FlowFrames.UDP), TCP(6, FlowFrames.TCP);

        final int number;
        final int headerSize;

        Protocol(int number, int headerSize) {
            this.number = number;
            this.headerSize = headerSize;
        }
    }

    private final byte[] template;
    private final Protocol protocol;
    private final int flows;
    private final int baseDstPort;
    /** Ones'-complement sum of the L4 pseudo-header, header (ports and checksum zero) and payload. */
    private final long partialSum;
    private final int l4;

    public FlowFrames(Protocol protocol, int size, int flows, byte[] srcMac, byte[] dstMac, InetAddress src, InetAddress dst, int baseDstPort) {
        if (!(src instanceof Inet4Address) || !(dst instanceof Inet4Address)) throw new IllegalArgumentException("IPv4 addresses only");
        int min = ETH + IP + protocol.headerSize;
        if (size < min || size > 9000) throw new IllegalArgumentException("frame size must be " + min + ".." + 9000 + " bytes for " + protocol + ", not " + size);
        if (flows < 1) throw new IllegalArgumentException("flows must be >= 1");
        if (baseDstPort < 1 || baseDstPort + (flows - 1) / PORTS > 65535) throw new IllegalArgumentException("destination port range out of bounds");
        this.protocol = protocol;
        this.flows = flows;
        this.baseDstPort = baseDstPort;
        this.l4 = ETH + IP;
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(dstMac).put(srcMac).putShort((short) 0x0800);
        int l4len = size - ETH - IP;
        b.put((byte) 0x45).put((byte) 0).putShort((short) (IP + l4len)).putShort((short) 0).putShort((short) 0x4000)
                .put((byte) 64).put((byte) protocol.number).putShort((short) 0).put(src.getAddress()).put(dst.getAddress());
        b.putShort(ETH + 10, (short) fold(~sum(b.array(), ETH, IP, 0)));
        b.position(l4);
        if (protocol == Protocol.UDP) {
            b.putShort((short) 0).putShort((short) 0).putShort((short) l4len).putShort((short) 0);
        } else {
            // an ACK segment with a fixed sequence: enough for capture and flow tools to see a TCP flow
            b.putShort((short) 0).putShort((short) 0).putInt(1).putInt(1).put((byte) 0x50).put((byte) 0x10)
                    .putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        }
        for (int i = b.position(); i < size; i++) b.put((byte) i);
        this.template = b.array();
        long pseudo = sum(src.getAddress(), 0, 4, 0) + sum(dst.getAddress(), 0, 4, 0) + protocol.number + l4len;
        this.partialSum = sum(template, l4, l4len, pseudo);
    }

    private static long sum(byte[] b, int off, int len, long initial) {
        long s = initial;
        for (int i = 0; i + 1 < len; i += 2) s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        if ((len & 1) != 0) s += (b[off + len - 1] & 0xff) << 8;
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s & 0xffff;
    }

    public int size() {
        return template.length;
    }

    public int flows() {
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
    public void writeTemplate(MemorySegment dst, long offset) {
        MemorySegment.copy(template, 0, dst, JAVA_BYTE, offset, template.length);
    }

    /** Turns a template already at {@code offset} into a frame of flow {@code flow}: ports and checksum. */
    public void stamp(MemorySegment dst, long offset, int flow) {
        int sp = srcPort(flow), dp = dstPort(flow);
        int c = ~fold(partialSum + sp + dp) & 0xffff;
        if (protocol == Protocol.UDP && c == 0) c = 0xffff; // 0 means "no checksum" for UDP
        long l4at = offset + l4;
        dst.set(JAVA_SHORT_UNALIGNED, l4at, Short.reverseBytes((short) sp));
        dst.set(JAVA_SHORT_UNALIGNED, l4at + 2, Short.reverseBytes((short) dp));
        dst.set(JAVA_SHORT_UNALIGNED, l4at + (protocol == Protocol.UDP ? 6 : 16), Short.reverseBytes((short) c));
    }

    /** Flow {@code flow}'s frame as bytes (tests, diagnostics). */
    public byte[] frame(int flow) {
        MemorySegment m = MemorySegment.ofArray(template.clone());
        stamp(m, 0, flow);
        return m.toArray(JAVA_BYTE);
    }
}
