package io.packetlens.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.export.json.FlowJson;
import io.packetlens.flow.EventKind;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowClock;
import io.packetlens.flow.FlowEvent;
import io.packetlens.flow.TcpFlags;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.alert.Alert;
import io.packetlens.monitor.alert.AlertType;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.export.json.FlowJson;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The flow monitor on real traffic in the lab: alerts, finished flows, both TC directions, events. */
@KernelTest
class MonitorLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static MonitorConfig config(List<MonitorConfig.AlertRuleConfig> alerts) {
        return MonitorConfig.defaults().withInterfaces(List.of("veth0")).withAlerts(alerts);
    }

    @Test
    void portScanAlertFiresOnAScanAndNotOnNormalTraffic() throws Exception {
        List<Alert> alerts = new CopyOnWriteArrayList<>();
        List<FinishedFlow> finished = new CopyOnWriteArrayList<>();
        var rules = List.of(new MonitorConfig.AlertRuleConfig(AlertType.PORT_SCAN, 20, Duration.ofSeconds(10)),
                new MonitorConfig.AlertRuleConfig(AlertType.SOURCE_PPS, 1_000_000, Duration.ofSeconds(1)));
        try (Lab lab = Lab.create(); FlowMonitor monitor = new FlowMonitor(config(rules), FlowClock.system())) {
            Host a = lab.a(), b = lab.b();
            monitor.onAlert(alerts::add);
            monitor.onFinishedFlow(finished::add);
            b.call(() -> monitor.attachXdp(b.ifname(), XdpMode.DRIVER));
            for (int i = 0; i < 5; i++) Traffic.tcp(a, b, false, 10_000);
            Traffic.udp(a, b, false, 200, 100);
            monitor.poll();
            assertThat(alerts).as("normal traffic").isEmpty();
            for (int p = 0; p < 30; p++) Traffic.udp(a, b, false, 1, 10, 30_000 + p);
            monitor.poll();
            assertThat(alerts).singleElement().satisfies(al -> {
                assertThat(al.rule()).isEqualTo("port-scan");
                assertThat(al.subject()).isEqualTo(a.ipv4());
            });
            monitor.stop();
            // every flow reported on stop, as IPFIX-named JSON
            long udpPackets = finished.stream().filter(f -> f.key().protocol() == 17).mapToLong(FinishedFlow::packets).sum();
            assertThat(udpPackets).isEqualTo(230);
            JsonNode rec = JSON.readTree(FlowJson.toLine(finished.stream()
                    .filter(f -> f.key().destinationPort() == Traffic.UDP_PORT).findFirst().orElseThrow(), "veth0"));
            assertThat(rec.get("packetDeltaCount").asLong()).isEqualTo(200);
            assertThat(rec.get("destinationIPv4Address").asText()).isEqualTo(b.ipv4());
            assertThat(rec.get("flowEndReason").asInt()).isEqualTo(4);
        }
    }

    @Test
    void tcHookSeesBothDirections() throws Exception {
        MonitorConfig c = config(List.of()).withHook(MonitorConfig.Hook.TC);
        try (Lab lab = Lab.create(); FlowMonitor monitor = new FlowMonitor(c, FlowClock.system())) {
            Host a = lab.a(), b = lab.b();
            b.run(monitor::attachConfigured);
            Traffic.ping(a, b, false, 4);   // echo requests in, replies out
            Traffic.udp(b, a, false, 25, 50); // out only
            MonitorSnapshot s = monitor.stop();
            var in = s.traffic().get(new TrafficLabels("veth0", "ingress", "icmp"));
            var out = s.traffic().get(new TrafficLabels("veth0", "egress", "icmp"));
            assertThat(in.packets()).isEqualTo(4);
            assertThat(out.packets()).isEqualTo(4);
            assertThat(s.traffic().get(new TrafficLabels("veth0", "egress", "udp")).packets()).isEqualTo(25);
            assertThat(s.traffic()).doesNotContainKey(new TrafficLabels("veth0", "ingress", "udp"));
        }
    }

    @Test
    void sourcePpsAndNewFlowRateFireOnTrafficMadeToTriggerThem() throws Exception {
        List<Alert> alerts = new CopyOnWriteArrayList<>();
        var rules = List.of(new MonitorConfig.AlertRuleConfig(AlertType.SOURCE_PPS, 2000, Duration.ofSeconds(1)),
                new MonitorConfig.AlertRuleConfig(AlertType.NEW_FLOWS_PER_SECOND, 15, Duration.ofSeconds(1)));
        try (Lab lab = Lab.create(); FlowMonitor monitor = new FlowMonitor(config(rules), FlowClock.system())) {
            Host a = lab.a(), b = lab.b();
            monitor.onAlert(alerts::add);
            b.call(() -> monitor.attachXdp(b.ifname(), XdpMode.DRIVER));
            monitor.poll();
            // normal: a few flows, a modest rate, spread over more than a second
            for (int i = 0; i < 4; i++) {
                Traffic.ping(a, b, false, 5);
                Thread.sleep(250);
            }
            monitor.poll();
            assertThat(alerts).as("normal traffic").isEmpty();
            // a flood from one source: thousands of datagrams between two polls
            Traffic.udp(a, b, false, 6000, 32);
            monitor.poll();
            assertThat(alerts).singleElement().satisfies(al -> {
                assertThat(al.rule()).isEqualTo("source-pps");
                assertThat(al.subject()).isEqualTo(a.ipv4());
                assertThat(al.value()).isGreaterThan(2000);
            });
            // many new flows: every Traffic.udp call sends from a new source port
            alerts.clear();
            for (int i = 0; i < 60; i++) Traffic.udp(a, b, false, 1, 8);
            monitor.poll();
            assertThat(alerts).extracting(Alert::rule).contains("new-flows-per-second");
        }
    }

    @Test
    void eventSubscriptionDeliversNewFlowAndTcpEvents() throws Exception {
        MonitorConfig c = config(List.of()).withEvents(java.util.Set.of(EventKind.NEW_FLOW, EventKind.TCP), 0);
        List<FlowEvent> events = new CopyOnWriteArrayList<>();
        try (Lab lab = Lab.create(); FlowMonitor monitor = new FlowMonitor(c, FlowClock.system())) {
            monitor.onEvent(events::add);
            Host a = lab.a(), b = lab.b();
            b.call(() -> monitor.attachXdp(b.ifname(), XdpMode.DRIVER));
            Traffic.tcp(a, b, false, 10_000);
            Traffic.udp(a, b, false, 5, 10);
            monitor.stop(); // hands over what the program sent before returning
            assertThat(monitor.events().delivered()).isEqualTo(monitor.program().counters().eventsSent().packets())
                    .isEqualTo(events.size());
            assertThat(events).filteredOn(e -> e.kind() == EventKind.NEW_FLOW)
                    .extracting(e -> e.key().protocol()).containsExactlyInAnyOrder(6, 17);
            assertThat(events).filteredOn(e -> e.kind() == EventKind.TCP)
                    .anyMatch(e -> (e.tcpFlags() & TcpFlags.SYN) != 0).anyMatch(e -> (e.tcpFlags() & TcpFlags.FIN) != 0);
        }
        try (FlowMonitor monitor = new FlowMonitor(config(List.of()), FlowClock.system())) {
            assertThat(monitor.events()).as("no events configured, no subscription").isNull();
        }
    }
}
