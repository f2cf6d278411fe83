package io.packetlens.export.ipfix;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * What the three readers of a flow record must agree on, read from packetlens's JSON ({@code FlowJson}), from
 * nfdump's JSON and from tshark's. ICMP flows carry type << 8 | code in {@code dport}.
 */
record FlowView(String src, String dst, int sport, int dport, int proto, long packets, long octets, long start, long end,
                long in, long out, int direction, int vlan, int tos) {
    private static final DateTimeFormatter TSHARK_TIME = DateTimeFormatter.ofPattern("MMM d, yyyy HH:mm:ss.SSSSSSSSS 'UTC'", Locale.ROOT);

    private static boolean icmp(int proto) {
        return proto == 1 || proto == 58;
    }

    /** From FlowJson: fields named after the IPFIX elements. */
    static FlowView ofFlowJson(JsonNode j) {
        boolean v4 = j.has("sourceIPv4Address");
        int proto = j.get("protocolIdentifier").asInt();
        int sport = icmp(proto) ? 0 : j.get("sourceTransportPort").asInt();
        int dport = icmp(proto) ? j.get(v4 ? "icmpTypeCodeIPv4" : "icmpTypeCodeIPv6").asInt() : j.get("destinationTransportPort").asInt();
        return new FlowView(j.get(v4 ? "sourceIPv4Address" : "sourceIPv6Address").asText(),
                j.get(v4 ? "destinationIPv4Address" : "destinationIPv6Address").asText(), sport, dport, proto,
                j.get("packetDeltaCount").asLong(), j.get("octetDeltaCount").asLong(),
                j.get("flowStartMilliseconds").asLong(), j.get("flowEndMilliseconds").asLong(),
                j.path("ingressInterface").asLong(0), j.path("egressInterface").asLong(0), j.get("flowDirection").asInt(),
                j.path("vlanId").asInt(0), j.get("ipClassOfService").asInt());
    }

    /** From {@code nfdump -o json} run with TZ=UTC (nfdump prints local times without a zone). */
    static FlowView ofNfdump(JsonNode j) {
        boolean v4 = j.has("src4_addr");
        int proto = j.get("proto").asInt();
        int dport = icmp(proto) ? j.get("icmp_type").asInt() << 8 | j.get("icmp_code").asInt() : j.get("dst_port").asInt();
        return new FlowView(j.get(v4 ? "src4_addr" : "src6_addr").asText(), j.get(v4 ? "dst4_addr" : "dst6_addr").asText(),
                icmp(proto) ? 0 : j.get("src_port").asInt(), dport, proto, j.get("in_packets").asLong(), j.get("in_bytes").asLong(),
                nfdumpTime(j.get("first").asText()), nfdumpTime(j.get("last").asText()),
                j.get("input_snmp").asLong(), j.get("output_snmp").asLong(), j.get("direction").asInt(),
                j.get("src_vlan").asInt(), j.get("src_tos").asInt());
    }

    /** From a data record of tshark's {@code -T json} decoding. */
    static FlowView ofTshark(JsonNode r) {
        boolean v4 = r.has("cflow.srcaddr");
        int proto = r.get("cflow.protocol").asInt();
        int dport;
        if (!icmp(proto)) dport = r.get("cflow.dstport").asInt();
        else if (v4) dport = Integer.decode(r.get("cflow.icmp_type_code_ipv4").asText());
        else dport = r.get("cflow.icmp_ipv6_type").asInt() << 8 | r.get("cflow.icmp_ipv6_code").asInt();
        JsonNode times = r.get("cflow.timedelta_tree");
        return new FlowView(r.get(v4 ? "cflow.srcaddr" : "cflow.srcaddrv6").asText(), r.get(v4 ? "cflow.dstaddr" : "cflow.dstaddrv6").asText(),
                r.get("cflow.srcport").asInt(), dport, proto, r.get("cflow.packets").asLong(), r.get("cflow.octets").asLong(),
                tsharkTime(times.get("cflow.abstimestart").asText()), tsharkTime(times.get("cflow.abstimeend").asText()),
                r.get("cflow.inputint").asLong(), r.get("cflow.outputint").asLong(), r.get("cflow.direction").asInt(),
                r.get("cflow.vlanid").asInt(), Integer.decode(r.get("cflow.tos").asText()));
    }

    private static long nfdumpTime(String t) {
        return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    private static long tsharkTime(String t) {
        return Instant.from(LocalDateTime.parse(t.replaceAll("\\s+", " "), TSHARK_TIME).atOffset(ZoneOffset.UTC)).toEpochMilli();
    }
}
