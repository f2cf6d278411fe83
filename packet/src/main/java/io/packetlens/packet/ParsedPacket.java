package io.packetlens.packet;

import java.net.InetAddress;

/**
 * What {@link PacketParser} read in one frame: {@code struct pl_packet} of {@code packetlens_parse.h}. A field the
 * parse did not reach before it stopped is 0 (addresses: null).
 *
 * @param status          how far the parse got
 * @param ethertype       the last ethertype read, after VLAN tags; 0 if the Ethernet header is cut
 * @param vlan            the outermost VLAN id (a tag the device took out counts as outermost), 0 when untagged
 * @param ipVersion       4 or 6 once the addresses were read, else 0
 * @param source          source address (IPv4 as {@link java.net.Inet4Address}), null until read
 * @param destination     destination address, null until read
 * @param sourcePort      TCP, UDP or SCTP source port
 * @param destinationPort TCP, UDP or SCTP destination port; ICMP and ICMPv6: {@code type << 8 | code}
 * @param protocol        the transport protocol, once the parse reached it (or a later fragment's)
 * @param lastProtocol    the last IP protocol or IPv6 next header read, 0 before the IP header
 * @param tcpFlags        TCP: the flags byte
 * @param dscp            the IPv4 TOS or IPv6 traffic class shifted right by 2
 * @param fragment        an IP fragment: first, later, or an IPv6 atomic fragment
 * @param laterFragment   a fragment that is not the first: no transport header, ports 0
 * @param ipLength        the IP total length from the header (IPv6: 40 + payload length), not what the frame holds
 * @param l3Offset        frame offset of the IP header, once its fixed part is in the frame (else 0)
 * @param l4Offset        frame offset of the transport header once the parse reached it; of a later fragment, of its data
 * @param moreFragments   a fragment with the more-fragments flag (IPv4 MF, IPv6 M)
 * @param fragmentId      a fragment's identification (IPv4: 16 bits, IPv6: 32 bits)
 * @param fragmentOffset  a fragment's offset in bytes
 * @param fragmentDataOffset a fragment's fragmentable part's frame offset (IPv4: after the IP header, IPv6: after the
 *                        fragment header)
 * @param tunnel          the tunnel the packet came out of ({@link TunnelType#NONE} when not decapsulated); every field
 *                        above is then the inner packet's, but for the VLAN id (the outer one) and offsets, which stay
 *                        frame offsets
 * @param tunnelId        the VXLAN VNI or GRE key, else 0
 * @param outerSource     the tunnel's outer source address, null outside a tunnel
 * @param outerDestination the tunnel's outer destination address, null outside a tunnel
 */
public record ParsedPacket(ParseStatus status, int ethertype, int vlan, int ipVersion, InetAddress source,
                           InetAddress destination, int sourcePort, int destinationPort, int protocol, int lastProtocol,
                           int tcpFlags, int dscp, boolean fragment, boolean laterFragment, int ipLength,
                           int l3Offset, int l4Offset, boolean moreFragments, long fragmentId, int fragmentOffset,
                           int fragmentDataOffset, TunnelType tunnel, long tunnelId, InetAddress outerSource,
                           InetAddress outerDestination) {

    /** A packet outside a tunnel. */
    public ParsedPacket(ParseStatus status, int ethertype, int vlan, int ipVersion, InetAddress source,
                        InetAddress destination, int sourcePort, int destinationPort, int protocol, int lastProtocol,
                        int tcpFlags, int dscp, boolean fragment, boolean laterFragment, int ipLength,
                        int l3Offset, int l4Offset, boolean moreFragments, long fragmentId, int fragmentOffset,
                        int fragmentDataOffset) {
        this(status, ethertype, vlan, ipVersion, source, destination, sourcePort, destinationPort, protocol, lastProtocol,
                tcpFlags, dscp, fragment, laterFragment, ipLength, l3Offset, l4Offset, moreFragments, fragmentId, fragmentOffset,
                fragmentDataOffset, TunnelType.NONE, 0, null, null);
    }

    /** Whether the parse got to the end. */
    public boolean ok() {
        return status == ParseStatus.OK;
    }

    /** Whether the ports come from a TCP, UDP or SCTP header the parser read. */
    public boolean hasPorts() {
        return ok() && !laterFragment
                && (protocol == IpProtocol.TCP || protocol == IpProtocol.UDP || protocol == IpProtocol.SCTP);
    }
}
