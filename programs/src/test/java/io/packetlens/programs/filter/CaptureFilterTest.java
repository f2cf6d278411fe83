package io.packetlens.programs.filter;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing filter words into terms, and refusing what the map-based filter cannot express. */
class CaptureFilterTest {
    @Test
    void parsesTermsOfEveryKind() {
        CaptureFilter f = CaptureFilter.parse(List.of("ip6", "and", "tcp", "src", "net", "fd00::/16", "and", "dst port 443 or dst port 80"));
        assertThat(f.families()).containsExactly(6);
        assertThat(f.protocols()).containsExactly(6);
        assertThat(f.addresses()).hasSize(1);
        assertThat(f.addresses().getFirst().prefixLength()).isEqualTo(16);
        assertThat(f.addresses().getFirst().direction()).isEqualTo(Direction.SRC);
        assertThat(f.ports()).containsExactly(new PortTerm(Direction.DST, 443), new PortTerm(Direction.DST, 80));
        assertThat(f).hasToString("ip6 and tcp and src net fd00:0:0:0:0:0:0:0/16 and dst port 443 or dst port 80");
        assertThat(CaptureFilter.parse("udp port 53")).hasToString("udp and port 53");
        assertThat(CaptureFilter.parse("proto 47 or proto sctp").protocols()).containsExactly(47, 132);
        assertThat(CaptureFilter.parse("host 10.0.0.1 or net 10.1.0.0/16").addresses()).hasSize(2);
        assertThat(CaptureFilter.parse(List.of()).matchesEverything()).isTrue();
    }

    @Test
    void netMasksHostBits() {
        AddressTerm t = CaptureFilter.parse("net 10.1.2.3/8").addresses().getFirst();
        assertThat(t.address()).containsExactly(10, 0, 0, 0);
        assertThat(t).hasToString("net 10.0.0.0/8");
    }

    @Test
    void refusesWhatTheKernelFilterCannotExpress() {
        assertThatThrownBy(() -> CaptureFilter.parse("tcp or port 80")).isInstanceOf(FilterSyntaxException.class)
                .hasMessageContaining("or can only join terms of the same kind");
        assertThatThrownBy(() -> CaptureFilter.parse("port 80 and port 443")).hasMessageContaining("did you mean or?");
        assertThatThrownBy(() -> CaptureFilter.parse("tcp udp")).hasMessageContaining("did you mean or?");
        assertThatThrownBy(() -> CaptureFilter.parse("not tcp")).hasMessageContaining("'not' is not supported");
        assertThatThrownBy(() -> CaptureFilter.parse("host example.com")).hasMessageContaining("names are not resolved");
        assertThatThrownBy(() -> CaptureFilter.parse("port 70000")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> CaptureFilter.parse("net 10.0.0.0/33")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> CaptureFilter.parse("tcp and")).hasMessageContaining("ends with");
        assertThatThrownBy(() -> CaptureFilter.parse("vlan 3")).hasMessageContaining("unknown filter word 'vlan'");
    }

    @Test
    void longerPrefixesInheritTheDirectionsOfCoveringOnes() {
        CaptureFilter f = CaptureFilter.parse("src net 10.0.0.0/8 and dst host 10.0.0.1");
        var entries = FilterMaps.lpmEntries(f);
        assertThat(entries).hasSize(2);
        entries.forEach((k, dirs) -> {
            if (k.prefixLength() == 8) assertThat(dirs).isEqualTo(Direction.SRC.bit);
            else assertThat(dirs).isEqualTo(Direction.SRC.bit | Direction.DST.bit);
        });
        assertThat(FilterMaps.kinds(f)).isEqualTo(FilterMaps.K_SRC_ADDR | FilterMaps.K_DST_ADDR);
    }
}
