package io.packetlens.guard;

import io.packetlens.ebpf.TestRun;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import static io.packetlens.packet.Frame.ethernet;
import static org.assertj.core.api.Assertions.assertThat;

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
}
