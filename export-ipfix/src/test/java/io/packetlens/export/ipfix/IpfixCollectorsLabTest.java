package io.packetlens.export.ipfix;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterStats;
import io.packetlens.export.json.FlowJson;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowClock;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.FlowMonitor;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.peers.Nfcapd;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real traffic through the lab, flows measured by the XDP flow monitor, exported as IPFIX over UDP to Debian's nfcapd,
 * the export captured on the way by tcpdump: nfdump's reading of nfcapd's file and tshark's decoding of the capture
 * must both show exactly the flows packetlens's own JSON shows, IPv4 and IPv6, UDP, TCP and ICMP.
 */
@KernelTest
class IpfixCollectorsLabTest {
    private static final int PORT = 4740;

    @Test
    void nfdumpAndTsharkShowTheFlowsPacketlensMeasured() throws Exception {
        List<FinishedFlow> measured = new CopyOnWriteArrayList<>();
        ExportContext ctx = new ExportContext(i -> "veth0", 11);
        IpfixSettings settings = IpfixSettings.defaults(List.of(new Collector(Collector.Transport.UDP, new InetSocketAddress("127.0.0.1", PORT))), 11);
        ExporterRunner runner;
        try (Nfcapd nfcapd = Nfcapd.start(PORT); Capture capture = Capture.start("udp", PORT); Lab lab = Lab.create();
             FlowMonitor monitor = new FlowMonitor(MonitorConfig.defaults().withInterfaces(List.of("veth0")), FlowClock.system())) {
            IpfixExporter exporter = new IpfixExporter(settings, ctx);
            runner = ExporterRunner.start("ipfix", "ipfix", ExporterSettings.defaults(), exporter, ctx);
            try {
                monitor.onFinishedFlow(f -> {
                    measured.add(f);
                    runner.offer(f);
                });
                Host a = lab.a(), b = lab.b();
                b.call(() -> monitor.attachXdp(b.ifname(), XdpMode.AUTO));
                Traffic.udp(a, b, false, 40, 100);
                Traffic.udp(a, b, true, 30, 300);
                Traffic.tcp(a, b, false, 50_000);
                Traffic.tcp(a, b, true, 50_000);
                Traffic.ping(a, b, false, 4);
                Traffic.ping(a, b, true, 3);
                monitor.stop(); // every flow reported
            } finally {
                runner.close();
            }
            ExporterStats stats = runner.stats();
            assertThat(measured).hasSizeGreaterThanOrEqualTo(6);
            assertThat(stats.sent()).as("records the runner saw delivered").isEqualTo(measured.size());
            assertThat(stats.failed()).isZero();
            assertThat(exporter.collectorStats().getFirst().records()).isEqualTo(measured.size());

            List<FlowView> expected = measured.stream().map(f -> FlowView.ofFlowJson(FlowJson.toJson(f, "veth0"))).toList();
            assertThat(expected).extracting(FlowView::proto).contains(1, 6, 17, 58);
            assertThat(expected).extracting(FlowView::src).contains(lab.a().ipv4(), lab.a().ipv6());
            assertThat(expected).filteredOn(v -> v.proto() == 17 && v.src().contains(":")).singleElement()
                    .satisfies(v -> assertThat(v.packets()).isEqualTo(30));

            nfcapd.stop();
            List<FlowView> fromNfdump = nfcapd.flows().stream().map(FlowView::ofNfdump).toList();
            assertThat(fromNfdump).as("nfdump's flows; nfcapd said:\n" + nfcapd.log()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(nfcapd.log()).contains("Sequence Errors: 0, Bad Packets: 0");

            capture.stop();
            Capture.Decoded decoded = capture.decode("udp", PORT);
            assertThat(decoded.problems()).as("tshark's expert info").isEmpty();
            List<JsonNode> records = decoded.records();
            assertThat(records.stream().map(FlowView::ofTshark).toList()).as(capture.summary()).containsExactlyInAnyOrderElementsOf(expected);
            // the fields nfdump does not show: frame octets, IP length range, end reason, TCP flags
            for (FinishedFlow f : measured) {
                FlowView v = FlowView.ofFlowJson(FlowJson.toJson(f, "veth0"));
                JsonNode r = records.stream().filter(x -> FlowView.ofTshark(x).equals(v)).findFirst().orElseThrow();
                assertThat(r.get("cflow.layer2_octet_delta_count").asLong()).as("layer2OctetDeltaCount of " + f.key()).isEqualTo(f.bytes());
                assertThat(r.get("cflow.length_min").asLong()).isEqualTo(f.minLength());
                assertThat(r.get("cflow.length_max").asLong()).isEqualTo(f.maxLength());
                assertThat(r.get("cflow.flow_end_reason").asInt()).isEqualTo(f.reason().ipfixCode());
                assertThat(Integer.decode(r.get("cflow.tcpflags").asText())).isEqualTo(f.key().protocol() == 6 ? f.tcpFlags() : 0);
            }
            assertThat(decoded.messages()).allSatisfy(m -> assertThat(m.get("cflow.od_id").asLong()).isEqualTo(11));
            assertThat(decoded.setIds().getFirst()).as("the first message holds the templates").containsExactly(2);
        }
    }
}
