package io.packetlens.monitor.config;

import io.packetlens.config.ConfigDocument;
import io.packetlens.config.ConfigException;
import io.packetlens.config.ConfigNode;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.flow.EventKind;
import io.packetlens.monitor.alert.AlertType;
import io.packetlens.packet.Decapsulation;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The monitor's sections of a configuration: flows, view, alerts. (The whole document is read by the agent.) */
class MonitorConfigReaderTest {
    private static ConfigNode node(String yaml) {
        return ConfigDocument.parse(yaml).root();
    }

    private static MonitorConfig flows(String yaml) {
        return MonitorConfigReader.flows(node(yaml).child("flows"), MonitorConfig.defaults());
    }

    @Test
    void everyFlowsOptionIsRead() {
        MonitorConfig c = flows("""
                flows:
                  hook: tc
                  xdp-mode: native
                  table-size: 1024
                  timeouts: {active: 2m, idle: 500ms}
                  poll-interval: 2s
                  events: [new-flow, tcp]
                """);
        assertThat(c.hook()).isEqualTo(MonitorConfig.Hook.TC);
        assertThat(c.xdpMode()).as("aliases parsed once, by XdpMode").isEqualTo(XdpMode.DRIVER);
        assertThat(c.tableSize()).isEqualTo(1024);
        assertThat(c.activeTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.pollInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.resolvePollInterval(false).pollInterval()).as("a set interval stays").isEqualTo(Duration.ofSeconds(2));
        assertThat(c.events()).containsExactlyInAnyOrder(EventKind.NEW_FLOW, EventKind.TCP);
        MonitorConfig s = flows("flows: {events: [tcp], sample-every: 100}");
        assertThat(s.events()).containsExactlyInAnyOrder(EventKind.TCP, EventKind.SAMPLE);
        assertThat(s.sampleEvery()).isEqualTo(100);
        assertThat(flows("flows: {events: overflow}").events()).containsExactly(EventKind.OVERFLOW);
    }

    @Test
    void tunnelsAreLookedIntoUnlessToldOtherwiseAndTheVxlanPortsCanBeChosen() {
        assertThat(MonitorConfig.defaults().decapsulation()).isEqualTo(Decapsulation.DEFAULT);
        assertThat(flows("flows: {hook: tc}").decapsulation()).as("no tunnels section: the default").isEqualTo(Decapsulation.DEFAULT);
        MonitorConfig outer = flows("flows: {tunnels: {decapsulate: false}}");
        assertThat(outer.decapsulation().enabled()).isFalse();
        assertThat(outer.decapsulation().vxlanPorts()).containsExactly(4789);
        MonitorConfig ports = flows("flows: {tunnels: {vxlan-ports: [4789, 8472]}}");
        assertThat(ports.decapsulation()).isEqualTo(new Decapsulation(true, java.util.List.of(4789, 8472)));
        assertThat(flows("flows: {tunnels: {vxlan-ports: []}}").decapsulation().vxlanPorts()).as("VXLAN off, GRE and IP in IP on").isEmpty();
    }

    @Test
    void viewAndAlerts() {
        assertThat(MonitorConfigReader.view(node("view: {top: 5, sort-by: packets}").child("view"), MonitorConfig.defaults().view()))
                .isEqualTo(new MonitorConfig.View(5, MonitorConfig.View.SortBy.PACKETS));
        var alerts = MonitorConfigReader.alerts(node("alerts: [{type: source-pps, threshold: 1000}, {type: port-scan, threshold: 20, window: 30s}]").child("alerts"));
        assertThat(alerts).extracting(MonitorConfig.AlertRuleConfig::type).containsExactly(AlertType.SOURCE_PPS, AlertType.PORT_SCAN);
        assertThat(alerts.get(1).window()).isEqualTo(Duration.ofSeconds(30));
        assertThat(alerts.get(0).window()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void theAutomaticPollIntervalIsOneSecondWhenSomethingShowsPerSecondFiguresElseFive() {
        MonitorConfig auto = flows("flows: {poll-interval: auto}");
        assertThat(auto.pollInterval()).isNull();
        assertThat(auto.resolvePollInterval(true).pollInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(auto.resolvePollInterval(false).pollInterval()).isEqualTo(Duration.ofSeconds(5));
        MonitorConfig alerting = auto.withAlerts(MonitorConfigReader.alerts(node("a: [{type: source-pps, threshold: 10}]").child("a")));
        assertThat(alerting.resolvePollInterval(false).pollInterval()).as("alert rules judge per-second rates").isEqualTo(Duration.ofSeconds(1));
    }

    private static void rejects(String yaml, String key, String message) {
        assertThatThrownBy(() -> {
            ConfigNode root = node(yaml);
            if (root.has("flows")) flows(yaml);
            if (root.has("alerts")) MonitorConfigReader.alerts(root.child("alerts"));
            if (root.has("view")) MonitorConfigReader.view(root.child("view"), MonitorConfig.defaults().view());
        }).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).startsWith(key + ": ").contains(message);
        });
    }

    @Test
    void badValuesNameTheKeyAndWhatWasExpected() {
        rejects("flows: {tabel-size: 10}", "flows.tabel-size", "unknown option");
        rejects("flows: {timeouts: {idle: soon}}", "flows.timeouts.idle", "expected a duration such as 500ms, 15s");
        rejects("flows: {timeouts: {idle: 0s}}", "flows.timeouts.idle", "longer than zero");
        rejects("flows: {timeouts: {lazy: 3s}}", "flows.timeouts.lazy", "unknown option (known here: active, idle)");
        rejects("flows: {hook: kprobe}", "flows.hook", "expected one of xdp, tc, got 'kprobe'");
        rejects("flows: {xdp-mode: turbo}", "flows.xdp-mode", "expected an XDP mode (auto, driver (native), generic (skb))");
        rejects("flows: {table-size: -5}", "flows.table-size", "must be between 1 and");
        rejects("flows: {poll-interval: sometimes}", "flows.poll-interval", "or auto");
        rejects("flows: {events: [new-flow, syn]}", "flows.events[1]", "expected one of new-flow, tcp, sample, overflow, got 'syn'");
        rejects("flows: {events: [sample]}", "flows.sample-every", "required when events include sample");
        rejects("flows: {sample-every: 0}", "flows.sample-every", "must be between 1 and");
        rejects("alerts: {type: port-scan}", "alerts", "expected a list");
        rejects("alerts: [{type: port-scan}]", "alerts[0].threshold", "required");
        rejects("alerts: [{type: syn-flood, threshold: 3}]", "alerts[0].type", "expected one of source-pps, new-flows-per-second, port-scan");
        rejects("alerts: [{type: source-pps, threshold: -3}]", "alerts[0].threshold", "must be positive");
        rejects("view: {top: 0}", "view.top", "must be between 1 and 1000");
        rejects("flows: {tunnels: {decap: false}}", "flows.tunnels.decap", "unknown option (known here: decapsulate, vxlan-ports)");
        rejects("flows: {tunnels: {decapsulate: maybe}}", "flows.tunnels.decapsulate", "expected true or false");
        rejects("flows: {tunnels: {vxlan-ports: 4789}}", "flows.tunnels.vxlan-ports", "expected a list");
        rejects("flows: {tunnels: {vxlan-ports: [4789, 70000]}}", "flows.tunnels.vxlan-ports[1]", "must be between 1 and 65535");
        rejects("flows: {tunnels: {vxlan-ports: [4789, 4789]}}", "flows.tunnels.vxlan-ports[1]", "listed twice");
        rejects("flows: {tunnels: {vxlan-ports: [1, 2, 3, 4, 5]}}", "flows.tunnels.vxlan-ports", "at most 4");
    }
}
