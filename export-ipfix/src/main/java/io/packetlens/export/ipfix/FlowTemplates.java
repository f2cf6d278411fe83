package io.packetlens.export.ipfix;

import io.packetlens.packet.IpProtocol;
import io.packetlens.flow.Direction;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowKey;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The templates packetlens exports finished flows with: one for IPv4 flows (id {@value #IPV4_ID}) and one for IPv6
 * flows (id {@value #IPV6_ID}), fixed-length fields with the IANA numbers, types and lengths (RFC 7012 and the IANA
 * registry). Both hold the transport ports and the ICMP type/code element: a flow fills one of them and leaves the other
 * zero, which keeps one record layout per address family. The flow of a VXLAN tunnel's inner packet carries the VNI in
 * layer2SegmentId (IE 351, RFC 7133's encoding); other flows carry 0 there, so that tunnelled and plain flows share the
 * templates and the template message stays within a 576-byte MTU. Bidirectional records (tracked connections) have two more
 * templates ({@value #BIFLOW_IPV4_ID}, {@value #BIFLOW_IPV6_ID}): the same fields, then biflowDirection and RFC 5103's
 * reverse elements (enterprise 29305) for the responder's packets, octets and TCP flags.
 */
public final class FlowTemplates {
    public static final int IPV4_ID = 256;
    public static final int IPV6_ID = 257;
    public static final int BIFLOW_IPV4_ID = 258;
    public static final int BIFLOW_IPV6_ID = 259;

    private static final Template IPV4 = new Template(IPV4_ID, "ipv4-flow", fields(true));
    private static final Template IPV6 = new Template(IPV6_ID, "ipv6-flow", fields(false));
    private static final Template BIFLOW_IPV4 = new Template(BIFLOW_IPV4_ID, "ipv4-biflow", biflowFields(true));
    private static final Template BIFLOW_IPV6 = new Template(BIFLOW_IPV6_ID, "ipv6-biflow", biflowFields(false));

    private FlowTemplates() {}

    public static Template ipv4() {
        return IPV4;
    }

    public static Template ipv6() {
        return IPV6;
    }

    /** Every template, in the order they are announced. */
    public static List<Template> all() {
        return List.of(IPV4, IPV6, BIFLOW_IPV4, BIFLOW_IPV6);
    }

    /** The template a flow is exported with. */
    public static Template of(FinishedFlow f) {
        if (f.biflow() != null) return f.key().isIpv4() ? BIFLOW_IPV4 : BIFLOW_IPV6;
        return f.key().isIpv4() ? IPV4 : IPV6;
    }

    private static List<Field> biflowFields(boolean v4) {
        List<Field> l = new ArrayList<>(fields(v4));
        // RFC 5103: 1, the record's source is the initiator
        l.add(Field.iana("biflowDirection", Ie.BIFLOW_DIRECTION, 1, (b, f) -> b.put((byte) 1)));
        l.add(new Field("reverseOctetDeltaCount", Ie.OCTET_DELTA_COUNT, Field.REVERSE_PEN, 8, (b, f) -> b.putLong(f.biflow().reverseOctets())));
        l.add(new Field("reversePacketDeltaCount", Ie.PACKET_DELTA_COUNT, Field.REVERSE_PEN, 8, (b, f) -> b.putLong(f.biflow().reversePackets())));
        l.add(new Field("reverseTcpControlBits", Ie.TCP_CONTROL_BITS, Field.REVERSE_PEN, 2,
                (b, f) -> b.putShort((short) (f.key().protocol() == IpProtocol.TCP ? f.biflow().reverseTcpFlags() : 0))));
        return List.copyOf(l);
    }

    private static List<Field> fields(boolean v4) {
        List<Field> l = new ArrayList<>();
        if (v4) {
            l.add(Field.iana("sourceIPv4Address", Ie.SOURCE_IPV4_ADDRESS, 4, (b, f) -> putIpv4(b, f.key().source())));
            l.add(Field.iana("destinationIPv4Address", Ie.DESTINATION_IPV4_ADDRESS, 4, (b, f) -> putIpv4(b, f.key().destination())));
        } else {
            l.add(Field.iana("sourceIPv6Address", Ie.SOURCE_IPV6_ADDRESS, 16, (b, f) -> putIpv6(b, f.key().source())));
            l.add(Field.iana("destinationIPv6Address", Ie.DESTINATION_IPV6_ADDRESS, 16, (b, f) -> putIpv6(b, f.key().destination())));
        }
        l.add(Field.iana("sourceTransportPort", Ie.SOURCE_TRANSPORT_PORT, 2, (b, f) -> b.putShort((short) (icmp(f) ? 0 : f.key().sourcePort()))));
        l.add(Field.iana("destinationTransportPort", Ie.DESTINATION_TRANSPORT_PORT, 2, (b, f) -> b.putShort((short) (icmp(f) ? 0 : f.key().destinationPort()))));
        // FlowKey keeps ICMP type << 8 | code in the destination port, which is exactly icmpTypeCodeIPv4/IPv6
        l.add(Field.iana(v4 ? "icmpTypeCodeIPv4" : "icmpTypeCodeIPv6", v4 ? Ie.ICMP_TYPE_CODE_IPV4 : Ie.ICMP_TYPE_CODE_IPV6, 2,
                (b, f) -> b.putShort((short) (icmp(f) ? f.key().destinationPort() : 0))));
        l.add(Field.iana("protocolIdentifier", Ie.PROTOCOL_IDENTIFIER, 1, (b, f) -> b.put((byte) f.key().protocol())));
        l.add(Field.iana("tcpControlBits", Ie.TCP_CONTROL_BITS, 2, (b, f) -> b.putShort((short) (f.key().protocol() == IpProtocol.TCP ? f.tcpFlags() : 0))));
        l.add(Field.iana("ipClassOfService", Ie.IP_CLASS_OF_SERVICE, 1, (b, f) -> b.put((byte) (f.dscp() << 2))));
        l.add(Field.iana("octetDeltaCount", Ie.OCTET_DELTA_COUNT, 8, (b, f) -> b.putLong(f.ipBytes())));
        l.add(Field.iana("layer2OctetDeltaCount", Ie.LAYER2_OCTET_DELTA_COUNT, 8, (b, f) -> b.putLong(f.bytes())));
        l.add(Field.iana("packetDeltaCount", Ie.PACKET_DELTA_COUNT, 8, (b, f) -> b.putLong(f.packets())));
        l.add(Field.iana("flowStartMilliseconds", Ie.FLOW_START_MILLISECONDS, 8, (b, f) -> b.putLong(f.start().toEpochMilli())));
        l.add(Field.iana("flowEndMilliseconds", Ie.FLOW_END_MILLISECONDS, 8, (b, f) -> b.putLong(f.end().toEpochMilli())));
        l.add(Field.iana("ingressInterface", Ie.INGRESS_INTERFACE, 4, (b, f) -> b.putInt(f.key().direction() == Direction.INGRESS ? f.key().ifindex() : 0)));
        l.add(Field.iana("egressInterface", Ie.EGRESS_INTERFACE, 4, (b, f) -> b.putInt(f.key().direction() == Direction.EGRESS ? f.key().ifindex() : 0)));
        l.add(Field.iana("flowDirection", Ie.FLOW_DIRECTION, 1, (b, f) -> b.put((byte) f.key().direction().code())));
        l.add(Field.iana("vlanId", Ie.VLAN_ID, 2, (b, f) -> b.putShort((short) f.key().vlan())));
        l.add(Field.iana("minimumIpTotalLength", Ie.MINIMUM_IP_TOTAL_LENGTH, 8, (b, f) -> b.putLong(f.minLength())));
        l.add(Field.iana("maximumIpTotalLength", Ie.MAXIMUM_IP_TOTAL_LENGTH, 8, (b, f) -> b.putLong(f.maxLength())));
        l.add(Field.iana("flowEndReason", Ie.FLOW_END_REASON, 1, (b, f) -> b.put((byte) f.reason().ipfixCode())));
        // RFC 7133: a VXLAN flow's segment is 0x01 then its VNI; 0 outside VXLAN, which the RFC gives no meaning
        l.add(Field.iana("layer2SegmentId", Ie.LAYER2_SEGMENT_ID, 8, (b, f) -> b.putLong(f.key().tunnel().layer2SegmentId())));
        return List.copyOf(l);
    }

    private static boolean icmp(FinishedFlow f) {
        FlowKey k = f.key();
        return k.protocol() == (k.isIpv4() ? IpProtocol.ICMP : IpProtocol.ICMPV6);
    }

    /**
     * The bytes are read one by one and the array {@link Inet4Address#getAddress()} returns is never handed on: that
     * copy then does not escape, and the JIT removes its allocation (the encoding test checks). IPv6 arrays are cloned,
     * which the JIT keeps, hence {@link Ipv6Bytes}.
     */
    private static void putIpv4(ByteBuffer b, InetAddress a) {
        if (!(a instanceof Inet4Address v4)) throw new IllegalArgumentException("an IPv6 address in the IPv4 template: " + a);
        b.putInt(int32(v4.getAddress(), 0));
    }

    private static void putIpv6(ByteBuffer b, InetAddress a) {
        if (!(a instanceof Inet6Address v6)) throw new IllegalArgumentException("an IPv4 address in the IPv6 template: " + a);
        Ipv6Bytes.put(b, v6);
    }

    private static int int32(byte[] r, int i) {
        return (r[i] & 0xff) << 24 | (r[i + 1] & 0xff) << 16 | (r[i + 2] & 0xff) << 8 | (r[i + 3] & 0xff);
    }
}
