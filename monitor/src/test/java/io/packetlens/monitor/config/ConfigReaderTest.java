package io.packetlens.monitor.config;

import io.packetlens.flow.EventKind;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigReaderTest {
    @Test
    void emptyConfigurationIsAllDefaults() {
        assertThat(ConfigReader.parse("")).isEqualTo(MonitorConfig.defaults());
    }

    @Test
    void theDocumentedExampleParses() {
        MonitorConfig c = ConfigReader.read(Path.of("../docs/packetlens.example.yaml"));
        assertThat(c.interfaces()).containsExactly("eth0");
        assertThat(c.hook()).isEqualTo(MonitorConfig.Hook.TC);
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.flowLog().maxBytes()).isEqualTo(100L << 20);
        assertThat(c.alerts()).hasSize(3);
    }

    @Test
    void everyOptionIsRead() {
        MonitorConfig c = ConfigReader.parse("""
                interfaces: [eth0, eth1]
                hook: tc
                xdp-mode: generic
                table-size: 1024
                timeouts: {active: 2m, idle: 500ms}
                poll-interval: 2s
                metrics: {address: "0.0.0.0:9999"}
                flow-log: {path: /tmp/flows.json, max-size: 64KiB, keep: 2}
                view: {top: 5, sort-by: packets}
                alerts:
                  - {type: source-pps, threshold: 1000}
                  - {type: port-scan, threshold: 20, window: 30s}
                """);
        assertThat(c.interfaces()).containsExactly("eth0", "eth1");
        assertThat(c.hook()).isEqualTo(MonitorConfig.Hook.TC);
        assertThat(c.xdpMode()).isEqualTo("generic");
        assertThat(c.tableSize()).isEqualTo(1024);
        assertThat(c.activeTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.pollInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.resolvePollInterval(false).pollInterval()).as("a set interval stays").isEqualTo(Duration.ofSeconds(2));
        assertThat(c.metrics().address().getPort()).isEqualTo(9999);
        assertThat(c.flowLog().maxBytes()).isEqualTo(64 * 1024);
        assertThat(c.flowLog().keep()).isEqualTo(2);
        assertThat(c.view()).isEqualTo(new MonitorConfig.View(5, MonitorConfig.View.SortBy.PACKETS));
        assertThat(c.alerts()).extracting(MonitorConfig.AlertRuleConfig::type).containsExactly("source-pps", "port-scan");
        assertThat(c.alerts().get(1).window()).isEqualTo(Duration.ofSeconds(30));
        assertThat(ConfigReader.parse("metrics: {enabled: false}").metrics()).isNull();
    }

    @Test
    void theAutomaticPollIntervalIsOneSecondWhenSomethingShowsPerSecondFiguresElseFive() {
        MonitorConfig auto = ConfigReader.parse("poll-interval: auto");
        assertThat(auto.pollInterval()).isNull();
        assertThat(MonitorConfig.defaults().pollInterval()).isNull();
        assertThat(auto.resolvePollInterval(true).pollInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(auto.resolvePollInterval(false).pollInterval()).isEqualTo(Duration.ofSeconds(5));
        MonitorConfig alerting = ConfigReader.parse("alerts: [{type: source-pps, threshold: 10}]");
        assertThat(alerting.resolvePollInterval(false).pollInterval()).as("alert rules judge per-second rates").isEqualTo(Duration.ofSeconds(1));
        rejects("poll-interval: sometimes", "poll-interval", "expected a duration such as 500ms");
        assertThatThrownBy(() -> ConfigReader.parse("poll-interval: sometimes")).hasMessageEndingWith(", or auto");
    }

    private static void rejects(String yaml, String key, String message) {
        assertThatThrownBy(() -> ConfigReader.parse(yaml)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).startsWith(key.isEmpty() ? "" : key + ": ").contains(message);
        });
    }

    @Test
    void badConfigurationsNameTheKeyAndWhatWasExpected() {
        rejects("tabel-size: 10", "tabel-size", "unknown option");
        rejects("timeouts: {idle: soon}", "timeouts.idle", "expected a duration such as 500ms, 15s");
        rejects("timeouts: {idle: 0s}", "timeouts.idle", "longer than zero");
        rejects("timeouts: {lazy: 3s}", "timeouts.lazy", "unknown option (known here: active, idle)");
        rejects("hook: kprobe", "hook", "expected one of xdp, tc, got 'kprobe'");
        rejects("table-size: -5", "table-size", "must be between 1 and");
        rejects("table-size: many", "table-size", "expected a whole number");
        rejects("metrics: {address: localhost}", "metrics.address", "expected HOST:PORT");
        rejects("metrics: {address: 'localhost:99999'}", "metrics.address", "port must be 0..65535");
        rejects("flow-log: {max-size: 10MB}", "flow-log.path", "required");
        rejects("flow-log: {path: /tmp/x, max-size: huge}", "flow-log.max-size", "expected a size");
        rejects("alerts: {type: port-scan}", "alerts", "expected a list of rules");
        rejects("alerts: [{type: port-scan}]", "alerts[0].threshold", "required");
        rejects("alerts: [{type: syn-flood, threshold: 3}]", "alerts[0].type", "expected one of");
        rejects("alerts: [{type: source-pps, threshold: -3}]", "alerts[0].threshold", "must be positive");
        rejects("interfaces: {eth0: yes}", "interfaces", "expected a list of interface names");
        rejects("view: {top: 0}", "view.top", "must be between 1 and 1000");
        rejects("hook: [", "", "not valid YAML");
        rejects("- just\n- a list", "", "expected a mapping of options");
    }

    @Test
    void eventsAndSampling() {
        assertThat(ConfigReader.parse("").events()).isEmpty();
        MonitorConfig c = ConfigReader.parse("events: [new-flow, tcp]");
        assertThat(c.events()).containsExactlyInAnyOrder(EventKind.NEW_FLOW, EventKind.TCP);
        assertThat(c.sampleEvery()).isZero();
        MonitorConfig s = ConfigReader.parse("events: [tcp]\nsample-every: 100");
        assertThat(s.events()).containsExactlyInAnyOrder(EventKind.TCP, EventKind.SAMPLE);
        assertThat(s.sampleEvery()).isEqualTo(100);
        assertThat(ConfigReader.parse("events: overflow").events()).containsExactly(EventKind.OVERFLOW);
        assertThat(ConfigReader.parse("events: [sample]\nsample-every: 1").events()).containsExactly(EventKind.SAMPLE);
        rejects("events: [new-flow, syn]", "events[1]", "expected one of new-flow, tcp, sample, overflow, got 'syn'");
        rejects("events: {tcp: yes}", "events", "expected a list of event kinds");
        rejects("events: [sample]", "sample-every", "required when events include sample");
        rejects("sample-every: 0", "sample-every", "must be between 1 and");
        rejects("sample-every: often", "sample-every", "expected a whole number");
    }

    @Test
    void missingFileIsAClearError() {
        assertThatThrownBy(() -> ConfigReader.read(Path.of("/nonexistent/packetlens.yaml")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("does not exist");
    }
}
