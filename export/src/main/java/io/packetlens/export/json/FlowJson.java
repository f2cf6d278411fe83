package io.packetlens.export.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.packetlens.flow.Biflow;
import io.packetlens.flow.Direction;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowKey;
import io.packetlens.flow.Tunnel;
import io.packetlens.flow.TunnelEnds;
import io.packetlens.flow.Addresses;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.Inet4Address;

/**
 * One finished flow as a JSON object whose fields are named after IPFIX information
 * elements (RFC 7012 / the IANA registry) wherever one exists: {@code sourceIPv4Address},
 * {@code destinationTransportPort}, {@code octetDeltaCount}, {@code packetDeltaCount},
 * {@code flowStartMilliseconds}, {@code flowEndReason} ... Written with Jackson's streaming
 * generator: a drain at exit writes one line per flow, tens of thousands at once.
 */
public final class FlowJson {
    static final JsonFactory FACTORY = new JsonFactory();
    private static final ObjectMapper JSON = new ObjectMapper(FACTORY);

    private FlowJson() {}

    /** The record as a JSON tree (for tests and tools; the hot path is {@link #toLine}). */
    public static ObjectNode toJson(FinishedFlow f, String interfaceName) {
        return tree(toLine(f, interfaceName));
    }

    public static String toLine(FinishedFlow f, String interfaceName) {
        StringWriter w = new StringWriter(512);
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            write(g, f, interfaceName);
        } catch (IOException e) {
            throw new UncheckedIOException("writing a flow record", e); // a StringWriter does not fail
        }
        return w.toString();
    }

    /** Writes the record as one JSON object. */
    public static void write(JsonGenerator g, FinishedFlow f, String interfaceName) throws IOException {
        FlowKey k = f.key();
        g.writeStartObject();
        writeKey(g, k);
        g.writeNumberField(k.direction() == Direction.INGRESS ? "ingressInterface" : "egressInterface", k.ifindex());
        if (interfaceName != null) g.writeStringField("interfaceName", interfaceName);
        g.writeNumberField("flowDirection", k.direction().code());
        g.writeNumberField("octetDeltaCount", f.ipBytes());
        g.writeNumberField("layer2OctetDeltaCount", f.bytes());
        g.writeNumberField("packetDeltaCount", f.packets());
        g.writeNumberField("flowStartMilliseconds", f.start().toEpochMilli());
        g.writeNumberField("flowEndMilliseconds", f.end().toEpochMilli());
        if (k.protocol() == 6) g.writeNumberField("tcpControlBits", f.tcpFlags());
        g.writeNumberField("ipClassOfService", f.dscp() << 2);
        g.writeNumberField("minimumIpTotalLength", f.minLength());
        g.writeNumberField("maximumIpTotalLength", f.maxLength());
        if (f.fragments()) g.writeNumberField("fragmentFlags", 1);
        g.writeNumberField("flowEndReason", f.reason().ipfixCode());
        // not an IPFIX element: counted by the AF_PACKET fallback, not the kernel program (docs/FALLBACK.md)
        if (f.fallback()) g.writeBooleanField("fallback", true);
        writeTunnel(g, k.tunnel(), f.outer());
        Biflow b = f.biflow();
        if (b != null) {
            // RFC 5103: the reverse direction's counters; biflowDirection 1: the source is the initiator
            g.writeNumberField("biflowDirection", 1);
            g.writeNumberField("reversePacketDeltaCount", b.reversePackets());
            g.writeNumberField("reverseOctetDeltaCount", b.reverseOctets());
            // not IPFIX elements: what the connection tracker measured (docs/CONNTRACK.md)
            if (k.protocol() == 6) {
                g.writeNumberField("reverseTcpControlBits", b.reverseTcpFlags());
                g.writeNumberField("retransmittedSegments", b.retransmits());
                g.writeNumberField("reverseRetransmittedSegments", b.reverseRetransmits());
                if (b.handshakeRttNanos() >= 0) g.writeNumberField("handshakeRttMicroseconds", b.handshakeRttNanos() / 1000.0);
            }
            g.writeStringField("connectionState", b.state());
        }
        g.writeEndObject();
    }

    /** The flow key's fields under their IPFIX names (addresses, protocol, ports or ICMP type/code, VLAN). */
    static void writeKey(JsonGenerator g, FlowKey k) throws IOException {
        boolean v4 = k.source() instanceof Inet4Address;
        g.writeStringField(v4 ? "sourceIPv4Address" : "sourceIPv6Address", Addresses.format(k.source()));
        g.writeStringField(v4 ? "destinationIPv4Address" : "destinationIPv6Address", Addresses.format(k.destination()));
        g.writeNumberField("protocolIdentifier", k.protocol());
        if (k.protocol() == 1 || k.protocol() == 58) {
            g.writeNumberField(k.protocol() == 1 ? "icmpTypeCodeIPv4" : "icmpTypeCodeIPv6", k.destinationPort());
        } else {
            g.writeNumberField("sourceTransportPort", k.sourcePort());
            g.writeNumberField("destinationTransportPort", k.destinationPort());
        }
        if (k.vlan() != 0) g.writeNumberField("vlanId", k.vlan());
    }

    /**
     * A tunnelled flow's tunnel: layer2SegmentId (IE 351, RFC 7133) for VXLAN, and, under packetlens's own names (IPFIX
     * has no elements for them), the tunnel's type ({@code vxlan}, {@code gre}, {@code ipip}), id (VNI or GRE key) and
     * outer addresses. Nothing for a flow outside a tunnel.
     */
    static void writeTunnel(JsonGenerator g, Tunnel t, TunnelEnds outer) throws IOException {
        if (!t.isTunnel()) return;
        g.writeStringField("tunnelType", t.type().label());
        g.writeNumberField("tunnelId", t.id());
        if (t.layer2SegmentId() != 0) g.writeNumberField("layer2SegmentId", t.layer2SegmentId());
        if (outer != null) {
            boolean v4 = outer.source() instanceof Inet4Address;
            g.writeStringField(v4 ? "tunnelSourceIPv4Address" : "tunnelSourceIPv6Address", Addresses.format(outer.source()));
            g.writeStringField(v4 ? "tunnelDestinationIPv4Address" : "tunnelDestinationIPv6Address", Addresses.format(outer.destination()));
        }
    }

    static ObjectNode tree(String line) {
        try {
            return (ObjectNode) JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("wrote JSON that does not parse: " + line, e);
        }
    }
}
