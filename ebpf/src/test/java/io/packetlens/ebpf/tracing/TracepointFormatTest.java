package io.packetlens.ebpf.tracing;

import io.packetlens.ebpf.BpfException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing tracefs format files captured from Linux 6.18 (src/test/resources/tracing); no kernel needed. */
class TracepointFormatTest {

    private static TracepointFormat captured(String category, String name) throws IOException {
        try (InputStream in = TracepointFormatTest.class.getResourceAsStream("/tracing/" + name + ".format")) {
            assertThat(in).isNotNull();
            return TracepointFormat.parse(category, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void readsTheFieldsOfKfreeSkb() throws IOException {
        TracepointFormat f = captured("skb", "kfree_skb");
        assertThat(f.name()).isEqualTo("kfree_skb");
        assertThat(f.id()).isPositive();
        assertThat(f.fields()).extracting(TracepointFormat.Field::name)
                .containsExactly("common_type", "common_flags", "common_preempt_count", "common_pid",
                        "skbaddr", "location", "rx_sk", "protocol", "reason");
        assertThat(f.field("skbaddr")).isEqualTo(new TracepointFormat.Field("skbaddr", "void *", 8, 8, false));
        assertThat(f.field("protocol")).isEqualTo(new TracepointFormat.Field("protocol", "unsigned short", 32, 2, false));
        assertThat(f.field("reason")).isEqualTo(new TracepointFormat.Field("reason", "enum skb_drop_reason", 36, 4, false));
        assertThat(f.field("common_pid").signed()).isTrue();
    }

    @Test
    void readsTheDropReasonNamesFromThePrintFormat() throws IOException {
        TracepointFormat f = captured("skb", "kfree_skb");
        assertThat(f.symbol("reason", 3)).contains("NO_SOCKET");
        assertThat(f.symbol("reason", 2)).contains("NOT_SPECIFIED");
        assertThat(f.value("reason", "NETFILTER_DROP")).contains(12L);
        assertThat(f.symbols().get("reason")).hasSizeGreaterThan(100);
        assertThat(f.symbol("reason", 100_000)).isEmpty();
        assertThat(f.symbol("protocol", 3)).isEmpty();
    }

    @Test
    void readsXdpExceptionWithANegativeSymbol() throws IOException {
        TracepointFormat f = captured("xdp", "xdp_exception");
        assertThat(f.field("act")).isEqualTo(new TracepointFormat.Field("act", "u32", 12, 4, false));
        assertThat(f.field("ifindex").offset()).isEqualTo(16);
        assertThat(f.symbol("act", 0)).contains("ABORTED");
        assertThat(f.symbol("act", 4)).contains("REDIRECT");
    }

    @Test
    void aMissingFieldNamesTheFieldsThereAre() throws IOException {
        TracepointFormat f = captured("xdp", "xdp_exception");
        assertThatThrownBy(() -> f.field("reason")).isInstanceOf(BpfException.NotFoundException.class)
                .hasMessageContaining("has no field 'reason'").hasMessageContaining("prog_id");
        assertThatThrownBy(() -> TracepointFormat.parse("x", "hello")).isInstanceOf(BpfException.class);
    }
}
