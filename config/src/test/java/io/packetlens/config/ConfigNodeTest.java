package io.packetlens.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigNodeTest {
    enum Policy { DROP_NEWEST, DROP_OLDEST }

    private static final String YAML = """
            flows:
              timeouts:
                idle: 15s
            exporters:
              - type: ipfix
                port: 70000
              - type: kafka
                policy: drop-oldest
            """;

    @Test
    void errorsNameTheKeyPathAndTheLine() {
        ConfigNode root = ConfigDocument.parse(YAML).root();
        ConfigNode first = root.child("exporters").list(false).get(0);
        assertThatThrownBy(() -> first.child("port").integer(1, 65535))
                .isInstanceOf(ConfigException.class)
                .hasMessage("exporters[0].port: must be between 1 and 65535, got 70000 (line 6)")
                .extracting(e -> ((ConfigException) e).line()).isEqualTo(6);
        assertThatThrownBy(() -> root.allow("flows"))
                .hasMessage("exporters: unknown option (known here: flows) (line 4)");
        assertThatThrownBy(() -> first.required("collectors", "where to send"))
                .hasMessage("exporters[0].collectors: required: where to send (line 5)");
    }

    @Test
    void readsValuesOfEveryKind() {
        ConfigNode root = ConfigDocument.parse(YAML).root();
        assertThat(root.child("flows").child("timeouts").child("idle").duration()).isEqualTo(Duration.ofSeconds(15));
        assertThat(root.child("exporters").list(false).get(1).child("policy").oneOf(Policy.class)).isEqualTo(Policy.DROP_OLDEST);
        assertThatThrownBy(() -> root.child("exporters").list(false).get(0).child("type").oneOf(Policy.class))
                .hasMessage("exporters[0].type: expected one of drop-newest, drop-oldest, got 'ipfix' (line 5)");
        assertThat(ConfigDocument.parse("").isEmpty()).isTrue();
        assertThat(ConfigDocument.parse("a: [x, y]").root().child("a").stringList()).containsExactly("x", "y");
        assertThat(ConfigDocument.parse("a: x").root().child("a").stringList()).containsExactly("x");
    }

    @Test
    void movedKeysSayWhereTheyWent() {
        ConfigNode root = ConfigDocument.parse("hook: tc\n").root();
        assertThatThrownBy(() -> root.allow(java.util.Set.of("flows"), java.util.Map.of("hook", "flows.hook")))
                .hasMessage("hook: moved: write it as flows.hook (line 1)");
    }

    @Test
    void addressesAreCheckedAndResolvedOnRequest() {
        assertThat(ConfigValues.address("k", "127.0.0.1:4739").getPort()).isEqualTo(4739);
        assertThatThrownBy(() -> ConfigValues.address("k", "127.0.0.1:x")).hasMessageContaining("k: expected a port number");
        assertThatThrownBy(() -> ConfigValues.resolvedAddress("k", "no-such-host.invalid:4739", false))
                .hasMessage("k: unknown host 'no-such-host.invalid' (it does not resolve)");
        assertThatThrownBy(() -> ConfigValues.resolvedAddress("k", "127.0.0.1:0", false)).hasMessage("k: port must be 1..65535, got 0");
        assertThatThrownBy(() -> ConfigDocument.parse("a: [").root()).isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML");
    }
}
