package io.packetlens.agent;

import io.packetlens.config.ConfigException;
import io.packetlens.monitor.alert.AlertType;
import io.packetlens.monitor.config.MonitorConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentConfigReaderTest {
    @Test
    void emptyConfigurationIsAllDefaults() {
        AgentConfig c = AgentConfigReader.parse("");
        assertThat(c.flows()).isEqualTo(MonitorConfig.defaults());
        assertThat(c.metrics()).isEqualTo(AgentConfig.DEFAULT_METRICS);
        assertThat(c.exporters()).isEmpty();
        assertThat(c.pin()).isNull();
        assertThat(c.debugKernel()).isFalse();
    }

    @Test
    void debugKernelTurnsThePrintsOn() {
        assertThat(AgentConfigReader.parse("debug-kernel: true").debugKernel()).isTrue();
        assertThat(AgentConfigReader.parse("debug-kernel: false").debugKernel()).isFalse();
        rejects("debug-kernel: sometimes", "debug-kernel", "true or false");
    }

    @Test
    void theDocumentedExampleParses() {
        AgentConfig c = AgentConfigReader.read(Path.of("../docs/packetlens.example.yaml"));
        assertThat(c.interfaces()).containsExactly(InterfaceSpec.of("eth0"));
        assertThat(c.flows().hook()).isEqualTo(MonitorConfig.Hook.TC);
        assertThat(c.flows().idleTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.flows().fallback()).isTrue();
        assertThat(c.exporters()).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo("file");
            assertThat(e.settings().queueCapacity()).isEqualTo(131_072);
        });
        assertThat(c.flows().alerts()).extracting(MonitorConfig.AlertRuleConfig::type)
                .containsExactly(AlertType.SOURCE_PPS, AlertType.NEW_FLOWS_PER_SECOND, AlertType.PORT_SCAN);
    }

    @Test
    void everySectionIsRead() {
        AgentConfig c = AgentConfigReader.parse("""
                interfaces:
                  - eth0
                  - {name: veth0, netns: lab-b}
                flows: {hook: tc, table-size: 1024}
                view: {top: 5}
                metrics: {address: "127.0.0.1:9999"}
                pin: /sys/fs/bpf/packetlens
                observation-domain: 42
                exporters:
                  - {type: file, path: /tmp/pl-flows.json, queue: {capacity: 10, drop-policy: drop-oldest}, retry: {max-backoff: 2s}}
                  - {type: stdout, name: console}
                """);
        assertThat(c.interfaces()).containsExactly(InterfaceSpec.of("eth0"), new InterfaceSpec("veth0", "lab-b"));
        assertThat(c.flows().tableSize()).isEqualTo(1024);
        assertThat(c.flows().view().top()).isEqualTo(5);
        assertThat(c.metrics().getPort()).isEqualTo(9999);
        assertThat(c.pin()).isEqualTo(Path.of("/sys/fs/bpf/packetlens"));
        assertThat(c.monitorConfig().pinDirectory()).isEqualTo(Path.of("/sys/fs/bpf/packetlens/flows"));
        assertThat(c.monitorConfig().interfaces()).as("only interfaces of the agent's own namespace").containsExactly("eth0");
        assertThat(c.observationDomain()).isEqualTo(42);
        assertThat(c.exporters()).extracting(e -> e.name()).containsExactly("file", "console");
        assertThat(c.exporters().getFirst().settings().queueCapacity()).isEqualTo(10);
        assertThat(c.exporters().getFirst().settings().maxBackoff()).isEqualTo(Duration.ofSeconds(2));
        assertThat(AgentConfigReader.parse("metrics: {enabled: false}").metrics()).isNull();
        assertThat(AgentConfigReader.parse("flows: {fallback: false}").flows().fallback()).isFalse();
        assertThat(AgentConfig.defaults().flows().fallback()).as("on by default").isTrue();
    }

    @Test
    void theConntrackSectionIsRead() {
        ConntrackSection c = AgentConfigReader.parse("conntrack: {hook: xdp, table-size: 4096, export: false, interfaces: [eth1]}\n").conntrack();
        assertThat(c.xdp()).isTrue();
        assertThat(c.tableSize()).isEqualTo(4096);
        assertThat(c.export()).isFalse();
        assertThat(c.interfaces()).extracting(InterfaceSpec::name).containsExactly("eth1");
        ConntrackSection d = AgentConfigReader.parse("conntrack: {}\n").conntrack();
        assertThat(d.xdp()).isFalse();
        assertThat(d.tableSize()).isEqualTo(262_144);
        assertThat(d.export()).isTrue();
        assertThat(AgentConfigReader.parse("{}").conntrack()).isNull();
        rejects("conntrack: {hook: kprobe}\n", "conntrack.hook", "expected tc (both directions) or xdp");
        rejects("conntrack: {tabel-size: 5}\n", "conntrack.tabel-size", "unknown");
        rejects("conntrack: {table-size: 5}\n", "conntrack.table-size", "1024");
        ConntrackSection t = AgentConfigReader.parse("conntrack: {timeouts: {tcp-established: 1h, udp: 5s, generic: 1m}}\n").conntrack();
        assertThat(t.timeouts().of(6, io.packetlens.conntrack.ConnState.ESTABLISHED)).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(t.timeouts().of(6, io.packetlens.conntrack.ConnState.TIME_WAIT)).as("nf_conntrack's default").isEqualTo(java.time.Duration.ofSeconds(120));
        assertThat(t.timeouts().of(17, io.packetlens.conntrack.ConnState.UNREPLIED)).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(t.timeouts().of(17, io.packetlens.conntrack.ConnState.REPLIED)).isEqualTo(java.time.Duration.ofSeconds(120));
        assertThat(t.timeouts().of(47, io.packetlens.conntrack.ConnState.UNREPLIED)).isEqualTo(java.time.Duration.ofMinutes(1));
        rejects("conntrack: {timeouts: {tcp-establised: 1h}}\n", "conntrack.timeouts.tcp-establised", "unknown");
        rejects("conntrack: {timeouts: {udp: 0s}}\n", "conntrack.timeouts.udp", "must be longer than zero");
    }

    private static void rejects(String yaml, String key, String message) {
        assertThatThrownBy(() -> AgentConfigReader.parse(yaml)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).startsWith(key.isEmpty() ? "" : key + ": ").contains(message);
        });
    }

    @Test
    void badConfigurationsNameTheKeyAndTheLine() {
        rejects("tabel-size: 10", "tabel-size", "unknown option");
        rejects("flows: {fallback: maybe}", "flows.fallback", "");
        rejects("hook: tc", "hook", "moved: write it as flows.hook");
        rejects("flow-log: {path: /tmp/x}", "flow-log", "moved: write it as an exporter");
        rejects("interfaces: {eth0: yes}", "interfaces", "expected a list");
        rejects("interfaces: [{name: eth0, ns: x}]", "interfaces[0].ns", "unknown option");
        rejects("interfaces: ['has space']", "interfaces[0]", "not an interface name");
        rejects("metrics: {address: localhost}", "metrics.address", "expected HOST:PORT");
        rejects("metrics: {address: 'localhost:99999'}", "metrics.address", "port must be 0..65535");
        rejects("metrics: {address: 'no-such-host.invalid:9464'}", "metrics.address", "unknown host 'no-such-host.invalid'");
        rejects("pin: relative/dir", "pin", "must be an absolute path");
        rejects("pin: /sys/fs/bpf/pl.v1", "pin", "bpffs refuses names with '.'");
        rejects("exporters: {type: file}", "exporters", "expected a list");
        rejects("exporters: [{path: /tmp/x}]", "exporters[0].type", "required");
        rejects("exporters: [{type: carrier-pigeon}]", "exporters[0].type", "unknown exporter type 'carrier-pigeon' (known: file, stdout");
        rejects("exporters: [{type: file}]", "exporters[0].path", "required");
        rejects("exporters: [{type: file, path: /tmp/x, colour: red}]", "exporters[0].colour", "unknown option");
        rejects("exporters: [{type: file, path: /tmp/x, queue: {capacity: 0}}]", "exporters[0].queue.capacity", "must be between 1");
        rejects("exporters: [{type: file, path: /tmp/x, queue: {drop-policy: random}}]", "exporters[0].queue.drop-policy", "expected one of drop-newest, drop-oldest");
        rejects("exporters: [{type: stdout}, {type: stdout}]", "exporters[1].type", "a second exporter named 'stdout'");
        rejects("exporters: [{type: file, path: /tmp/x, retry: {initial-backoff: 5s, max-backoff: 1s}}]", "exporters[0].retry.max-backoff", "must not be shorter");
        rejects("flows: [", "", "not valid YAML");
        rejects("- just\n- a list", "", "expected a mapping of options");
        assertThatThrownBy(() -> AgentConfigReader.parse("flows:\n  hook: tc\n  table-size: lots\n")).hasMessageEndingWith("(line 3)");
    }
}
