package io.packetlens.monitor.log;

import io.packetlens.monitor.Addresses;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.packetlens.flow.Direction;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowKey;

import java.net.Inet4Address;

/**
 * One finished flow as a JSON object whose fields are named after IPFIX information
 * elements (RFC 7012 / the IANA registry) wherever one exists: {@code sourceIPv4Address},
 * {@code destinationTransportPort}, {@code octetDeltaCount}, {@code packetDeltaCount},
 * {@code flowStartMilliseconds}, {@code flowEndReason} ...
 */
public final class FlowJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FlowJson() {}

    public static ObjectNode toJson(FinishedFlow f, String interfaceName) {
        FlowKey k = f.key();
        ObjectNode o = JSON.createObjectNode();
        putKey(o, k);
        o.put(k.direction() == Direction.INGRESS ? "ingressInterface" : "egressInterface", k.ifindex());
        if (interfaceName != null) o.put("interfaceName", interfaceName);
        o.put("flowDirection", k.direction().code());
        o.put("octetDeltaCount", f.bytes());
        o.put("packetDeltaCount", f.packets());
        o.put("flowStartMilliseconds", f.start().toEpochMilli());
        o.put("flowEndMilliseconds", f.end().toEpochMilli());
        if (k.protocol() == 6) o.put("tcpControlBits", f.tcpFlags());
        o.put("ipClassOfService", f.dscp() << 2);
        o.put("minimumIpTotalLength", f.minLength());
        o.put("maximumIpTotalLength", f.maxLength());
        if (f.fragments()) o.put("fragmentFlags", 1);
        o.put("flowEndReason", f.reason().ipfixCode());
        return o;
    }

    /** The flow key's fields under their IPFIX names (addresses, protocol, ports or ICMP type/code, VLAN). */
    static void putKey(ObjectNode o, FlowKey k) {
        boolean v4 = k.source() instanceof Inet4Address;
        o.put(v4 ? "sourceIPv4Address" : "sourceIPv6Address", Addresses.format(k.source()));
        o.put(v4 ? "destinationIPv4Address" : "destinationIPv6Address", Addresses.format(k.destination()));
        o.put("protocolIdentifier", k.protocol());
        if (k.protocol() == 1 || k.protocol() == 58) {
            o.put(k.protocol() == 1 ? "icmpTypeCodeIPv4" : "icmpTypeCodeIPv6", k.destinationPort());
        } else {
            o.put("sourceTransportPort", k.sourcePort());
            o.put("destinationTransportPort", k.destinationPort());
        }
        if (k.vlan() != 0) o.put("vlanId", k.vlan());
    }

    public static String toLine(FinishedFlow f, String interfaceName) {
        return toJson(f, interfaceName).toString();
    }
}
