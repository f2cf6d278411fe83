package io.packetlens.guard;

import io.packetlens.guard.rules.PortRange;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.guard.rules.RulesReader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The compiler alone: expansion, merged ranges, prefix bitmaps with their covering prefixes, limits, refusals. */
class GuardCompilerTest {
    @Test
    void aRuleExpandsPerProtocolAndMergedPortRangeAndItsKernelRulesPointBackAtIt() {
        CompiledRuleSet c = GuardCompiler.compile(RulesReader.parse("""
                rules:
                  - {name: first, action: count}
                  - {name: web, action: deny, protocol: [tcp, udp], destination-port: [80, 443-444, 444-500, 81]}
                """));
        assertThat(c.rules()).hasSize(1 + 2 * 2);
        assertThat(c.kernelRulesOf(1)).containsExactly(1, 2, 3, 4);
        assertThat(c.rules().subList(1, 5)).extracting(CompiledRuleSet.KernelRule::proto).containsExactly(6, 6, 17, 17);
        assertThat(c.rules().subList(1, 3)).extracting(r -> r.dportLo() + "-" + r.dportHi()).containsExactly("80-81", "443-500");
        assertThat(c.rules().get(1).match()).isEqualTo(GuardLayout.M_PROTO | GuardLayout.M_DPORT);
        assertThat(c.rules().getFirst().match()).isZero();
        assertThat(c.sourceAny()[0]).isEqualTo(0b11111);
        assertThat(GuardCompiler.merge(List.of(new PortRange(5, 6), new PortRange(1, 2), new PortRange(3, 3))))
                .containsExactly(new PortRange(1, 3), new PortRange(5, 6));
    }

    @Test
    void eachConnectionStateHasTheBitmapOfTheRulesThatAcceptIt() {
        CompiledRuleSet c = GuardCompiler.compile(RulesReader.parse("""
                rules:
                  - {name: replies, action: allow, state: [established, related]}
                  - {name: ssh, action: allow, protocol: [tcp, udp], destination-port: 22, state: new}
                  - {name: rest, action: deny}
                """));
        assertThat(c.tracksConnections()).isTrue();
        // kernel rules: 0 replies, 1-2 ssh (tcp, udp), 3 rest; index by the kernel's verdict, 0 untracked
        assertThat(c.stateAccepts()[0][0]).as("untracked: only rules without a state").isEqualTo(0b1000);
        assertThat(c.stateAccepts()[1][0]).as("new").isEqualTo(0b1110);
        assertThat(c.stateAccepts()[2][0]).as("established").isEqualTo(0b1001);
        assertThat(c.stateAccepts()[3][0]).as("related").isEqualTo(0b1001);
        assertThat(c.stateAccepts()[4][0]).as("invalid").isEqualTo(0b1000);
        assertThat(GuardCompiler.compile(RulesReader.parse("rules:\n  - {action: deny}")).tracksConnections()).isFalse();
    }

    @Test
    void eachPrefixCarriesTheRulesOfEveryShorterPrefixCoveringIt() {
        CompiledRuleSet c = GuardCompiler.compile(RulesReader.parse("""
                rules:
                  - {name: wide, action: count, source: [10.0.0.0/8, "2001:db8::/32"]}
                  - {name: narrow, action: deny, source: [10.1.0.0/16]}
                  - {name: other, action: deny, source: [192.168.0.0/16, "2001:db8:1::/48"], destination: [10.9.9.9]}
                """));
        assertThat(c.sources()).extracting(e -> e.family() + "/" + e.length() + "=" + e.bits()[0])
                .containsExactlyInAnyOrder("4/8=1", "4/16=3", "4/16=4", "6/32=1", "6/48=5");
        assertThat(c.destinations()).extracting(e -> e.family() + "/" + e.length() + "=" + e.bits()[0]).containsExactly("4/32=4");
        assertThat(c.sourceAny()[0]).isZero();
        assertThat(c.destinationAny()[0]).isEqualTo(0b011);
    }

    @Test
    void aHundredThousandPrefixBlocklistCompilesWithItsCoveringPrefixes() {
        // 100,000 /32s, every tenth inside 10.5.0.0/16 of a second rule: a quadratic cover took minutes here
        StringBuilder y = new StringBuilder("rules:\n  - {name: wide, action: count, source: [10.5.0.0/16]}\n  - {name: list, action: deny, source: [");
        for (int i = 0; i < 100_000; i++) {
            int a = i % 10 == 0 ? (10 << 24 | 5 << 16 | (i / 10)) : (11 << 24 | i);
            y.append(i == 0 ? "" : ", ").append(a >>> 24).append('.').append(a >>> 16 & 255).append('.').append(a >>> 8 & 255).append('.').append(a & 255);
        }
        y.append("]}\n");
        CompiledRuleSet c = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
                () -> GuardCompiler.compile(RulesReader.parse(y.toString())));
        assertThat(c.sources()).hasSize(100_001);
        assertThat(c.sources().stream().filter(e -> e.length() == 32 && e.bits()[0] == 0b11).count()).as("/32s inside the /16").isEqualTo(10_000);
        assertThat(c.sources().stream().filter(e -> e.length() == 32 && e.bits()[0] == 0b10).count()).isEqualTo(90_000);
    }

    @Test
    void limitersBecomeGcraParameters() {
        CompiledRuleSet c = GuardCompiler.compile(RulesReader.parse("""
                rate-limits:
                  syn: {packets-per-second: 200, burst: 400, traffic: syn, ban: 60s}
                  net: {per: prefix, prefix-v4: 24, prefix-v6: 64, bytes-per-second: 1MB, traffic: udp}
                rules:
                  - {name: s, action: rate-limit, limit: syn, protocol: tcp}
                  - {name: n, action: rate-limit, limit: net, protocol: udp}
                """));
        CompiledRuleSet.Limiter net = c.limiters().get(0), syn = c.limiters().get(1); // by name
        assertThat(syn.pktIntervalNs()).isEqualTo(5_000_000);
        assertThat(syn.pktWindowNs()).isEqualTo(2_000_000_000L);
        assertThat(syn.banNs()).isEqualTo(60_000_000_000L);
        assertThat(net.pktIntervalNs()).isZero();
        assertThat(net.byteIntervalQ16() >> 16).isEqualTo(1_000_000_000L / net.limit().bytesPerSecond());
        assertThat(CompiledRuleSet.Limiter.mask(24, 4)).containsExactly(0xff, 0xff, 0xff, 0);
        assertThat(c.rules().get(0).limit()).isEqualTo(1);
        assertThat(c.rules().get(1).limit()).isEqualTo(0);
        assertThat(syn.tag()).isNotEqualTo(net.tag());
    }

    @Test
    void limitersWithWindowsOfManyTicksReadTheTickClock() {
        RuleSet set = RulesReader.parse("""
                rate-limits:
                  slow: {packets-per-second: 10, burst: 20}
                  fast: {packets-per-second: 1000000, burst: 100}
                  bytes: {bytes-per-second: 1MB, burst-bytes: 1MB}
                  tight-bytes: {packets-per-second: 10, burst: 20, bytes-per-second: 1GB, burst-bytes: 64KB}
                rules:
                  - {name: a, action: rate-limit, limit: slow}
                  - {name: b, action: rate-limit, limit: fast}
                  - {name: c, action: rate-limit, limit: bytes}
                  - {name: d, action: rate-limit, limit: tight-bytes}
                """);
        long tick = 4_000_000; // HZ=250
        Map<String, Boolean> coarse = new java.util.TreeMap<>();
        for (CompiledRuleSet.Limiter l : GuardCompiler.compile(set, tick).limiters()) coarse.put(l.limit().name(), l.coarseClock());
        // 2 s and 1 s windows span hundreds of ticks; 100 us (1 Mpps, burst 100) and 64 KB at 1 GB/s (65 us) do not
        assertThat(coarse).containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of("bytes", true, "fast", false, "slow", true, "tight-bytes", false)));
        // 8 ticks is the line: a window of 7 ticks is timed precisely
        RuleSet edge = RulesReader.parse("""
                rate-limits:
                  edge: {packets-per-second: 1000, burst: 28}
                rules:
                  - {name: a, action: rate-limit, limit: edge}
                """);
        assertThat(GuardCompiler.compile(edge, tick).limiters().getFirst().coarseClock()).isFalse();
        assertThat(GuardCompiler.compile(edge, tick / 2).limiters().getFirst().coarseClock()).isTrue();
    }

    @Test
    void whatTheKernelCannotHoldIsRefusedNamingTheRule() {
        StringBuilder y = new StringBuilder("rules:\n");
        for (int i = 0; i < 130; i++) y.append("  - {name: r").append(i).append(", action: deny, protocol: [tcp, udp]}\n");
        RuleSet big = RulesReader.parse(y.toString());
        assertThatThrownBy(() -> GuardCompiler.compile(big)).isInstanceOf(GuardCompileException.class)
                .hasMessageContaining("rule 'r128'").hasMessageContaining("more than 256 kernel rules");
        StringBuilder l = new StringBuilder("rate-limits:\n");
        for (int i = 0; i < 17; i++) l.append("  l").append(i).append(": {packets-per-second: 1}\n");
        assertThatThrownBy(() -> GuardCompiler.compile(RulesReader.parse(l.toString()))).isInstanceOf(GuardCompileException.class)
                .hasMessageContaining("17 rate limiters");
    }
}
