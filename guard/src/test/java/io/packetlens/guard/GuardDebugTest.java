package io.packetlens.guard;

import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.info.HelperCalls;
import io.packetlens.ebpf.tracing.KernelDebugLog;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.testkit.KernelTest;
import io.packetlens.testkit.LogCapture;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.LogRecord;

import static io.packetlens.packet.Frame.ethernet;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guard's debug prints (--debug-kernel): a dropped packet's reason, rule and addresses, and a later fragment whose
 * first fragment the table does not know, in the Java log as {@code [guard] ...}; with the switch off (the default) no
 * print is left in the program. Ports and fragment ids are random, so the lines are this test's.
 */
@KernelTest
class GuardDebugTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static RuleSet rules(int port) {
        return RulesReader.parse("""
                rules:
                  - {name: allow-web, action: allow, protocol: tcp, destination-port: 80}
                  - {name: no-port, action: deny, protocol: udp, destination-port: %d}
                """.formatted(port));
    }

    @Test
    void dropsAndFragmentTableMissesAreLogged() throws Exception {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int port = rnd.nextInt(20_000, 60_000), id = rnd.nextInt(0x1000, 0xffff);
        try (LogCapture logs = LogCapture.open(KernelDebugLog.LOGGER); KernelDebugLog log = KernelDebugLog.start();
             GuardProgram g = GuardProgram.load(rules(port), GuardOptions.unpinned().debugTag(log.tag()))) {
            byte[] denied = ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, port).payload(10).build();
            byte[] passed = ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, port + 1).payload(10).build();
            // a later fragment (offset 8 bytes) of a datagram whose first fragment never came: the default is fail-closed
            byte[] orphan = GuardFrames.piece(false, "10.0.0.3", "10.0.0.2", id, 1, false, 17, 40);
            assertThat(g.program(GuardProgram.Hook.XDP).testRun(TestRun.of(denied).repeat(2)).retval()).isEqualTo(1); // XDP_DROP
            assertThat(g.program(GuardProgram.Hook.XDP).testRun(TestRun.of(passed)).retval()).isNotEqualTo(1);
            assertThat(g.program(GuardProgram.Hook.XDP).testRun(TestRun.of(orphan)).retval()).isEqualTo(1);
            int denyRule = GuardCompiler.compile(rules(port)).kernelRulesOf(1)[0];
            List<LogRecord> drops = logs.await(r -> r.getMessage().contains("-> 10.0.0.2:" + port + " proto 17"), 2, WAIT);
            List<LogRecord> miss = logs.await(r -> r.getMessage().contains(String.format("datagram 0x%x ", id)), 1, WAIT);
            List<LogRecord> missDrop = logs.await(r -> r.getMessage().startsWith("[guard] drop reason " + DropReason.FRAGMENT_NO_FIRST.slot())
                    && r.getMessage().contains("10.0.0.3:0 -> 10.0.0.2:0"), 1, WAIT);
            assertThat(drops).hasSize(2).allSatisfy(r -> {
                assertThat(r.getLoggerName()).isEqualTo("packetlens.kernel.guard");
                assertThat(r.getMessage()).startsWith("[guard] drop reason " + DropReason.RULE.slot() + " rule " + denyRule
                        + ": 10.0.0.1:1000 -> 10.0.0.2:" + port + " proto 17 (");
            });
            assertThat(miss).singleElement().extracting(LogRecord::getMessage).asString().startsWith(String.format(
                    "[guard] fragment table miss: later fragment of datagram 0x%x at offset 8 has no first fragment (unknown)", id));
            assertThat(missDrop).hasSize(1);
            assertThat(logs.messages()).noneMatch(m -> m.contains(":" + (port + 1) + " "));
        }
    }

    @Test
    void withTheSwitchOffNoPrintIsLeftInTheProgram() {
        int port = 4242;
        try (GuardProgram quiet = GuardProgram.load(rules(port), GuardOptions.unpinned());
             GuardProgram loud = GuardProgram.load(rules(port), GuardOptions.unpinned().debugTag(0x600d))) {
            for (GuardProgram.Hook h : GuardProgram.Hook.JUDGING) {
                byte[] off = quiet.program(h).xlatedInstructions(), on = loud.program(h).xlatedInstructions();
                assertThat(HelperCalls.count(off, "bpf_trace_printk") + HelperCalls.count(off, "bpf_trace_vprintk")).as("%s off", h).isZero();
                assertThat(HelperCalls.count(on, "bpf_trace_vprintk")).as("%s on", h).isPositive();
                System.out.printf("%s: debug off %d xlated insns / %d jited bytes, on %d / %d%n", quiet.program(h).name(), off.length / 8,
                        quiet.program(h).info().jitedLength(), on.length / 8, loud.program(h).info().jitedLength());
            }
        }
    }
}
