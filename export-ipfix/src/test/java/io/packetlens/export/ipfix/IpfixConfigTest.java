package io.packetlens.export.ipfix;

import io.packetlens.config.ConfigDocument;
import io.packetlens.config.ConfigException;
import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterConfigs;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code type: ipfix} section read through the exporter list, as the agent reads it. */
class IpfixConfigTest {
    /** The exporters the agent would make from the list, in an agent whose observation domain is 9. */
    private static List<IpfixExporter> read(String yaml) {
        return ExporterConfigs.read(ConfigDocument.parse(yaml).root().child("exporters")).stream()
                .map(spec -> (IpfixExporter) spec.factory().apply(new ExportContext(i -> "if" + i, 9))).toList();
    }

    @Test
    void aFullSectionIsReadWithItsValuesAndDefaults() {
        var list = read("""
                exporters:
                  - type: ipfix
                    collectors: [udp://127.0.0.1:4739, "tcp://[::1]:4740", tcp://localhost:4741]
                    template-refresh: 30s
                    mtu: 9000
                  - type: ipfix
                    name: second
                    collectors: udp://127.0.0.1:4742
                    observation-domain: 4294967295
                """);
        assertThat(list).hasSize(2);
        IpfixSettings s = list.get(0).settings();
        assertThat(s.collectors()).extracting(Collector::toString)
                .containsExactly("udp://127.0.0.1:4739", "tcp://[0:0:0:0:0:0:0:1]:4740", "tcp://127.0.0.1:4741");
        assertThat(s.templateRefresh()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.observationDomain()).as("the agent's domain").isEqualTo(9);
        assertThat(s.messageLength()).as("9000 less IPv4+UDP headers").isEqualTo(9000 - 28);
        IpfixSettings d = list.get(1).settings();
        assertThat(d.observationDomain()).isEqualTo(4294967295L);
        assertThat(d.templateRefresh()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.messageLength()).isEqualTo(1500 - 28);
        assertThat(new IpfixSettings(List.of(new Collector(Collector.Transport.TCP, new java.net.InetSocketAddress("127.0.0.1", 1))),
                d.templateRefresh(), 0, 1500, 65535, 0, d.connectTimeout(), d.writeTimeout()).messageLength()).isEqualTo(65535);
        list.forEach(IpfixExporter::close);
        var v6 = read("exporters:\n  - type: ipfix\n    collectors: \"udp://[::1]:4739\"\n");
        assertThat(v6.getFirst().settings().messageLength()).as("1500 less IPv6+UDP headers").isEqualTo(1452);
        v6.forEach(IpfixExporter::close);
    }

    private static void refused(String collectors, String key, String message) {
        assertThatThrownBy(() -> read("exporters:\n  - type: ipfix\n    collectors: " + collectors + "\n"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key))
                .hasMessageContaining(message);
    }

    @Test
    void badCollectorsAreErrorsNamingTheirKey() {
        refused("[udp://127.0.0.1:4739, udp://no-such-host.invalid:4739]", "exporters[0].collectors[1]", "unknown host 'no-such-host.invalid'");
        refused("[udp://127.0.0.1:70000]", "exporters[0].collectors[0]", "port must be 1..65535, got 70000");
        refused("[udp://127.0.0.1:0]", "exporters[0].collectors[0]", "port must be 1..65535, got 0");
        refused("[udp://127.0.0.1:ipfix]", "exporters[0].collectors[0]", "expected a port number");
        refused("[tcp://127.0.0.1:4739, sctp://127.0.0.1:4739]", "exporters[0].collectors[1]", "unknown transport 'sctp'");
        refused("[127.0.0.1:4739]", "exporters[0].collectors[0]", "expected udp://HOST:PORT or tcp://HOST:PORT");
        refused("udp://127.0.0.1", "exporters[0].collectors", "expected HOST:PORT");
        refused("[]", "exporters[0].collectors", "at least one collector");
    }

    @Test
    void otherBadKeysAreErrorsNamingThem() {
        assertThatThrownBy(() -> read("exporters:\n  - type: ipfix\n    collectors: udp://127.0.0.1:4739\n    template-refersh: 10s\n"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("exporters[0].template-refersh: unknown option");
        assertThatThrownBy(() -> read("exporters:\n  - type: ipfix\n"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("exporters[0].collectors: required");
        assertThatThrownBy(() -> read("exporters:\n  - type: ipfix\n    collectors: udp://127.0.0.1:4739\n    mtu: 100\n"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("exporters[0].mtu: must be between 576 and 65535");
        assertThatThrownBy(() -> read("exporters:\n  - type: ipfix\n    collectors: udp://127.0.0.1:4739\n    observation-domain: -1\n"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("exporters[0].observation-domain: must be between 0 and 4294967295");
        assertThatThrownBy(() -> read("exporters:\n  - type: ipfix\n    collectors: udp://127.0.0.1:4739\n    template-refresh: soon\n"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("exporters[0].template-refresh: expected a duration");
    }
}
