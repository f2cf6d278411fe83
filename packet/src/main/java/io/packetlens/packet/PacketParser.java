package io.packetlens.packet;

import java.lang.foreign.MemorySegment;

/**
 * The frame parser of the kernel programs ({@code pl_parse} in {@code programs/src/main/bpf/include/packetlens_parse.h})
 * written again in Java, step for step, so that tests can say what the kernel makes of any frame. It reads Ethernet,
 * up to two VLAN tags (802.1Q, 802.1ad), IPv4 (options skipped, fragments), IPv6 (up to
 * {@value #MAX_IPV6_EXTENSION_HEADERS} extension headers: hop-by-hop, routing, fragment, AH, destination options),
 * then the ports of TCP, UDP and SCTP and the type and code of ICMP (in IPv4) and ICMPv6 (in IPv6), each only when its
 * whole header is there (20, 8, 12 and 4 bytes). A later fragment ends the parse with its protocol and no ports.
 * Change it together with the C parser: the flow module's FlowParserTest compares them frame by frame. The parse
 * itself is {@link PacketFields}, which does it in place and without allocating, for frames in native memory too.
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
        return parse(frame, length, hwVlan, Decapsulation.OFF);
    }

    /** Parses like {@link #parse(byte[], int, int)}, looking into tunnels as {@code d} says. */
    public static ParsedPacket parse(byte[] frame, int length, int hwVlan, Decapsulation d) {
        PacketFields p = new PacketFields().decapsulation(d);
        p.parse(MemorySegment.ofArray(frame), 0, Math.min(length, frame.length), hwVlan);
        return p.toParsedPacket();
    }
}
