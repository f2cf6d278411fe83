package io.packetlens.export.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.flow.EndReason;
import io.packetlens.export.ExportContext;
import io.packetlens.export.TestFlows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FlowLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void recordSchemaUsesIpfixNames() throws Exception {
        JsonNode v4 = JSON.readTree(FlowJson.toLine(TestFlows.finished(TestFlows.key("10.0.0.1", "10.0.0.2", 40000, 443, 6), 10, 5000, EndReason.IDLE), "eth0"));
        assertThat(v4.get("sourceIPv4Address").asText()).isEqualTo("10.0.0.1");
        assertThat(v4.get("destinationIPv4Address").asText()).isEqualTo("10.0.0.2");
        assertThat(v4.get("sourceTransportPort").asInt()).isEqualTo(40000);
        assertThat(v4.get("destinationTransportPort").asInt()).isEqualTo(443);
        assertThat(v4.get("protocolIdentifier").asInt()).isEqualTo(6);
        assertThat(v4.get("packetDeltaCount").asLong()).isEqualTo(10);
        assertThat(v4.get("octetDeltaCount").asLong()).as("IP octets").isEqualTo(5000 - 10 * 14);
        assertThat(v4.get("layer2OctetDeltaCount").asLong()).as("frame octets").isEqualTo(5000);
        assertThat(v4.get("flowStartMilliseconds").asLong()).isEqualTo(1795608000000L);
        assertThat(v4.get("flowEndMilliseconds").asLong()).isEqualTo(1795608001500L);
        assertThat(v4.get("tcpControlBits").asInt()).isEqualTo(0x12);
        assertThat(v4.get("ingressInterface").asInt()).isEqualTo(2);
        assertThat(v4.get("interfaceName").asText()).isEqualTo("eth0");
        assertThat(v4.get("flowDirection").asInt()).isZero();
        assertThat(v4.get("ipClassOfService").asInt()).isEqualTo(40);
        assertThat(v4.get("minimumIpTotalLength").asInt()).isEqualTo(60);
        assertThat(v4.get("maximumIpTotalLength").asInt()).isEqualTo(1514);
        assertThat(v4.get("flowEndReason").asInt()).isEqualTo(1);
        assertThat(v4.has("sourceIPv6Address")).isFalse();

        JsonNode icmp6 = JSON.readTree(FlowJson.toLine(TestFlows.finished(TestFlows.key("fd00::1", "fd00::2", 0, 128 << 8, 58), 1, 100, EndReason.ACTIVE), null));
        assertThat(icmp6.get("sourceIPv6Address").asText()).isEqualTo("fd00::1");
        assertThat(icmp6.get("icmpTypeCodeIPv6").asInt()).isEqualTo(128 << 8);
        assertThat(icmp6.has("sourceTransportPort")).isFalse();
        assertThat(icmp6.has("tcpControlBits")).isFalse();
        assertThat(icmp6.get("flowEndReason").asInt()).isEqualTo(2);
    }

    @Test
    void aTunnelledFlowCarriesItsTunnelAndOuterAddresses() throws Exception {
        var inner = TestFlows.key("10.1.2.3", "192.168.7.9", 40000, 443, 6);
        var k = new io.packetlens.flow.FlowKey(inner.source(), inner.destination(), 40000, 443, 6, 0, 2,
                io.packetlens.flow.Direction.INGRESS, io.packetlens.flow.Tunnel.vxlan(42));
        var f = TestFlows.finished(k, 3, 300, EndReason.IDLE);
        var outer = new io.packetlens.flow.TunnelEnds(java.net.InetAddress.ofLiteral("198.51.100.1"), java.net.InetAddress.ofLiteral("198.51.100.2"));
        var tunnelled = new io.packetlens.flow.FinishedFlow(f.key(), f.packets(), f.bytes(), f.ipBytes(), f.start(), f.end(),
                f.startNanos(), f.endNanos(), f.tcpFlags(), f.minLength(), f.maxLength(), f.dscp(), f.fragments(), f.reason(),
                false, null, outer);
        JsonNode j = JSON.readTree(FlowJson.toLine(tunnelled, "eth0"));
        assertThat(j.get("sourceIPv4Address").asText()).as("the inner packet's").isEqualTo("10.1.2.3");
        assertThat(j.get("tunnelType").asText()).isEqualTo("vxlan");
        assertThat(j.get("tunnelId").asLong()).isEqualTo(42);
        assertThat(j.get("layer2SegmentId").asLong()).as("RFC 7133: type 0x01 (VXLAN), VNI 42").isEqualTo(0x0100_0000_0000_002AL);
        assertThat(j.get("tunnelSourceIPv4Address").asText()).isEqualTo("198.51.100.1");
        assertThat(j.get("tunnelDestinationIPv4Address").asText()).isEqualTo("198.51.100.2");

        var gre = new io.packetlens.flow.FlowKey(inner.source(), inner.destination(), 40000, 443, 6, 0, 2,
                io.packetlens.flow.Direction.INGRESS, io.packetlens.flow.Tunnel.gre(7));
        JsonNode g = JSON.readTree(FlowJson.toLine(TestFlows.finished(gre, 1, 100, EndReason.IDLE), null));
        assertThat(g.get("tunnelType").asText()).isEqualTo("gre");
        assertThat(g.get("tunnelId").asLong()).isEqualTo(7);
        assertThat(g.has("layer2SegmentId")).as("RFC 7133 has no GRE type").isFalse();
        JsonNode plain = JSON.readTree(FlowJson.toLine(TestFlows.finished(inner, 1, 100, EndReason.IDLE), null));
        assertThat(plain.has("tunnelType")).isFalse();
    }

    @Test
    void rotatesBySizeKeepingTheNewestFiles(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("flows.json");
        var flow = TestFlows.finished(TestFlows.key("10.0.0.1", "10.0.0.2", 1, 2, 17), 1, 100, EndReason.IDLE);
        int line = FlowJson.toLine(flow, "if2").length() + 1;
        FileExporter w = new FileExporter(log, line * 10L, 2, false, ExportContext.standalone());
        w.open();
        for (int i = 0; i < 35; i++) w.send(List.of(flow));
        assertThat(w.rotations()).isEqualTo(3);
        w.close();
        assertThat(Files.readAllLines(log)).hasSize(5);
        assertThat(Files.readAllLines(dir.resolve("flows.json.1"))).hasSize(10);
        assertThat(Files.readAllLines(dir.resolve("flows.json.2"))).hasSize(10);
        assertThat(dir.resolve("flows.json.3")).doesNotExist();
        for (String l : Files.readAllLines(dir.resolve("flows.json.1"))) assertThat(JSON.readTree(l).get("packetDeltaCount").asInt()).isEqualTo(1);
        // reopening appends; a batch is written whole
        FileExporter again = new FileExporter(log, line * 10L, 2, false, ExportContext.standalone());
        again.open();
        again.send(List.of(flow, flow, flow));
        again.close();
        assertThat(Files.readAllLines(log)).hasSize(8);
        assertThat(List.of(Files.list(dir).toArray())).hasSize(3);
    }
}
