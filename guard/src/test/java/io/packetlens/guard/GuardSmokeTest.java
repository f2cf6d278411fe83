package io.packetlens.guard;

import io.packetlens.ebpf.TestRun;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import static io.packetlens.packet.Frame.ethernet;
import static org.assertj.core.api.Assertions.assertThat;

/** Loading, a first judgement, and the drop samples over the event channel. */
@KernelTest
class GuardSmokeTest {
    @Test
    void loadsAndJudges() {
        var rules = RulesReader.parse("""
                rules:
                  - {name: no-dns, action: deny, protocol: udp, destination-port: 53}
                """);
        try (GuardProgram g = GuardProgram.load(rules, GuardOptions.unpinned())) {
            byte[] dns = ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, 53).payload(10).build();
            byte[] ok = ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, 54).payload(10).build();
            assertThat(g.program(GuardProgram.Hook.XDP).testRun(TestRun.of(dns)).retval()).isEqualTo(1);
            assertThat(g.program(GuardProgram.Hook.XDP).testRun(TestRun.of(ok)).retval()).isEqualTo(2);
            assertThat(g.ruleCounters().of("no-dns").packets()).isEqualTo(1);
        }
    }

    @Test
    void dropsAreSampledWithTheirReasonRuleAndHeader() {
        var rules = RulesReader.parse("""
                rules:
                  - {name: pass-it, action: allow, protocol: udp, destination-port: 54}
                  - {name: no-dns, action: deny, protocol: udp, destination-port: 53}
                """);
        try (GuardProgram g = GuardProgram.load(rules, GuardOptions.unpinned().sampleEvery(1))) {
            java.util.List<DropSample> got = new java.util.ArrayList<>();
            byte[] dns = ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, 53).payload(200).build();
            byte[] ok = ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, 54).payload(10).build();
            try (var source = g.openSamples(got::add)) {
                for (int i = 0; i < 5; i++) {
                    g.program(GuardProgram.Hook.XDP).testRun(TestRun.of(dns));
                    g.program(GuardProgram.Hook.XDP).testRun(TestRun.of(ok));
                }
                source.poll();
            }
            assertThat(got).hasSize(5);
            DropSample s = got.getFirst();
            assertThat(s.reason()).isEqualTo(DropReason.RULE);
            assertThat(s.kernelRule()).isEqualTo(1);
            assertThat(s.generation()).isEqualTo(1);
            assertThat(s.frameLength()).isEqualTo(dns.length);
            assertThat(s.header()).isEqualTo(java.util.Arrays.copyOf(dns, GuardLayout.SAMPLE_BYTES));
            assertThat(g.reasons().get(DropReason.EVENTS_SENT).packets()).isEqualTo(5);
        }
    }
}
