package io.packetlens.flow;

import io.packetlens.packet.Decapsulation;
import io.packetlens.packet.EtherType;
import io.packetlens.packet.PacketParser;
import io.packetlens.packet.ParsedPacket;

/**
 * What the flow program makes of a frame, in Java, so that tests can check the kernel's result for any frame: the
 * flow key the frame belongs to, or the "other" key it is counted under. The parse is {@link PacketParser}, the
 * Java twin of {@code packetlens_parse.h} (and, for tunnels, {@code packetlens_tunnel.h}); this class turns its result
 * into keys as {@code packetlens_flow.h} does. Tunnels are looked into as the flow program does by default
 * ({@link Decapsulation#DEFAULT}) unless a {@link Decapsulation} is given.
 */
public final class ReferenceParser {
    /** {@code PL_IPV6_MAX_EXT}: extension headers walked before a frame counts as {@link OtherReason#EXT_LIMIT}. */
    public static final int MAX_IPV6_EXTENSION_HEADERS = PacketParser.MAX_IPV6_EXTENSION_HEADERS;

    public static final int ETH_HLEN = PacketParser.ETH_HLEN;
    public static final int ETH_P_IP = EtherType.IPV4;
    public static final int ETH_P_IPV6 = EtherType.IPV6;
    public static final int ETH_P_8021Q = EtherType.VLAN;
    public static final int ETH_P_8021AD = EtherType.QINQ;

    private ReferenceParser() {}

    /** What the parser made of a frame. */
    public sealed interface Result permits Flow, Other {}

    /**
     * A flow packet: its key and what it adds to the flow record besides one packet and its frame length;
     * {@code ipLength} is the IP header's total length (IPv6: 40 + payload length), not what the frame holds.
     */
    public record Flow(FlowKey key, int tcpFlags, int dscp, boolean fragment, int ipLength, TunnelEnds outer) implements Result {
        /** The record a flow table holds after this frame alone, {@code length} bytes long, seen at {@code nanos}. */
        public FlowRecord record(int length, long nanos) {
            return new FlowRecord(1, length, nanos, nanos, ipLength, ipLength, tcpFlags, dscp, fragment, ipLength, outer);
        }
    }

    /** A frame counted under an "other" key. */
    public record Other(OtherKey key) implements Result {}

    /** Parses a whole frame as XDP sees it, or TC without a VLAN tag taken out by the device. */
    public static Result parse(byte[] frame, int ifindex, Direction direction) {
        return parse(frame, frame.length, -1, ifindex, direction);
    }

    /** Parses a whole frame like {@link #parse(byte[], int, Direction)}, looking into tunnels as {@code d} says. */
    public static Result parse(byte[] frame, int ifindex, Direction direction, Decapsulation d) {
        return parse(frame, frame.length, -1, ifindex, direction, d);
    }

    /**
     * Parses the first {@code length} bytes of {@code frame}.
     *
     * @param hwVlan the VLAN id the device took out of the frame (TC with VLAN acceleration), or -1
     */
    public static Result parse(byte[] frame, int length, int hwVlan, int ifindex, Direction direction) {
        return parse(frame, length, hwVlan, ifindex, direction, Decapsulation.DEFAULT);
    }

    /** Parses like {@link #parse(byte[], int, int, int, Direction)} with the flow program's decapsulation {@code d}. */
    public static Result parse(byte[] frame, int length, int hwVlan, int ifindex, Direction direction, Decapsulation d) {
        ParsedPacket p = PacketParser.parse(frame, length, hwVlan, d);
        if (!p.ok()) {
            return new Other(new OtherKey(ifindex, direction, p.ethertype(), p.lastProtocol(), OtherReason.of(p.status().code())));
        }
        Tunnel tunnel = p.tunnel() == io.packetlens.packet.TunnelType.NONE ? Tunnel.NONE : new Tunnel(p.tunnel(), p.tunnelId());
        FlowKey key = new FlowKey(p.source(), p.destination(), p.sourcePort(), p.destinationPort(), p.protocol(), p.vlan(),
                ifindex, direction, tunnel);
        TunnelEnds outer = tunnel.isTunnel() ? new TunnelEnds(p.outerSource(), p.outerDestination()) : null;
        return new Flow(key, p.tcpFlags(), p.dscp(), p.fragment(), p.ipLength(), outer);
    }
}
