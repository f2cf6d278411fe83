package io.packetlens.flow;

import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.info.HelperCalls;
import io.packetlens.ebpf.tracing.KernelDebugLog;
import io.packetlens.ebpf.tracing.TraceLine;
import io.packetlens.ebpf.tracing.TracePipe;
import io.packetlens.testkit.KernelTest;
import io.packetlens.testkit.LogCapture;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The flow program's debug prints (--debug-kernel): with a {@link KernelDebugLog}'s tag in its switch, why a frame is
 * not a flow, a new flow and a full table appear in the Java log as {@code [flow] ...}; with the switch off, as loaded
 * by default, the verifier has removed every print from the program that runs. Frames carry random values (ethertype,
 * ports) so that the lines are this test's whatever else runs.
 */
@KernelTest
class FlowDebugTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final FlowConfig XDP_ONLY = FlowConfig.defaults().hooks(EnumSet.of(FlowProgram.Hook.XDP));

    private static void run(FlowProgram p, byte[] frame, int times) {
        assertThat(p.program(FlowProgram.Hook.XDP).testRun(TestRun.of(frame).repeat(times)).retval()).isEqualTo(2); // XDP_PASS
    }

    @Test
    void parseFailuresNewFlowsAndAFullTableAreLogged() throws Exception {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int ethertype = rnd.nextInt(0x9000, 0xffff);
        int sport = rnd.nextInt(20_000, 60_000), other = sport + 1;
        String et = String.format("0x%04x", ethertype);
        try (LogCapture logs = LogCapture.open(KernelDebugLog.LOGGER); KernelDebugLog log = KernelDebugLog.start();
             FlowProgram p = FlowProgram.load(XDP_ONLY.tableSize(1).debugTag(log.tag()))) {
            run(p, Frames.nonIp(ethertype, 46), 2);
            run(p, Frames.udp4(sport, 9000, 10), 3); // one new flow, two more packets of it: one line
            run(p, Frames.udp4(other, 9000, 10), 1); // no room left: overflow
            List<LogRecord> notIp = logs.await(r -> r.getMessage().contains("ethertype " + et), 2, WAIT);
            List<LogRecord> fresh = logs.await(r -> r.getMessage().contains("new flow ") && r.getMessage().contains(":" + sport + " -> "), 1, WAIT);
            List<LogRecord> full = logs.await(r -> r.getMessage().contains("flow table full") && r.getMessage().contains(":" + other + " -> "), 1, WAIT);
            assertThat(notIp).hasSize(2).allSatisfy(r -> {
                assertThat(r.getLoggerName()).isEqualTo("packetlens.kernel.flow");
                assertThat(r.getMessage()).startsWith("[flow] not a flow: reason 1 ").contains(" len 60 (");
            });
            // the addresses as the kernel formats them (%pI4 of the IPv4-mapped key's last four bytes)
            assertThat(fresh).singleElement().extracting(LogRecord::getMessage).asString()
                    .startsWith("[flow] new flow " + Frames.SRC4 + ":" + sport + " -> " + Frames.DST4 + ":9000 proto 17 (");
            assertThat(full).singleElement().extracting(LogRecord::getMessage).asString()
                    .startsWith("[flow] flow table full (err -7), counted as overflow: " + Frames.SRC4 + ":" + other + " -> " + Frames.DST4 + ":9000 proto 17 (");
            assertThat(p.counters().tableFull().packets()).isEqualTo(1);
        }
    }

    @Test
    void withTheSwitchOffTheProgramPrintsNothingAndCallsNoPrintk() throws Exception {
        int ethertype = ThreadLocalRandom.current().nextInt(0x9000, 0xfffe) & ~1, sentinel = ethertype + 1;
        List<TraceLine> seen = new ArrayList<>();
        byte[] off, on;
        int offJited, onJited;
        // an unfiltered private instance: every bpf_printk line, whatever its tag
        try (TracePipe pipe = TracePipe.openInstance("pl-flowdebug-" + ProcessHandle.current().pid());
             FlowProgram quiet = FlowProgram.load(FlowConfig.defaults());
             FlowProgram loud = FlowProgram.load(FlowConfig.defaults().debugTag(0x600d))) {
            run(quiet, Frames.nonIp(ethertype, 46), 5);
            run(quiet, Frames.udp4(4000, 9000, 10), 1);
            run(loud, Frames.nonIp(sentinel, 46), 1);
            String et = String.format("0x%04x", ethertype), st = String.format("0x%04x", sentinel);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (seen.stream().noneMatch(t -> t.message().contains(st)) && System.nanoTime() < deadline) {
                pipe.read(200, t -> {
                    if (t.message().contains(et) || t.message().contains(st) || t.message().contains(":4000 -> ")) seen.add(t);
                });
            }
            BpfProgram q = quiet.program(FlowProgram.Hook.XDP), l = loud.program(FlowProgram.Hook.XDP);
            off = q.xlatedInstructions();
            on = l.xlatedInstructions();
            offJited = q.info().jitedLength();
            onJited = l.info().jitedLength();
            for (FlowProgram.Hook h : List.of(FlowProgram.Hook.TC_INGRESS, FlowProgram.Hook.TC_EGRESS)) {
                byte[] tcOff = quiet.program(h).xlatedInstructions(), tcOn = loud.program(h).xlatedInstructions();
                assertThat(HelperCalls.count(tcOff, "bpf_trace_printk") + HelperCalls.count(tcOff, "bpf_trace_vprintk")).as("%s off", h).isZero();
                // clang may merge two of the TC program's print sites into one call (it did when the VLAN parse changed)
                assertThat(HelperCalls.count(tcOn, "bpf_trace_vprintk")).as("%s on", h).isGreaterThanOrEqualTo(3);
            }
            assertThat(quiet.otherCounts().values().stream().mapToLong(Count::packets).sum()).as("the frames did run").isEqualTo(5);
        }
        assertThat(seen).as("only the loud copy's sentinel").extracting(TraceLine::message).singleElement().asString()
                .startsWith("pl:600d:flow: not a flow: reason 1");
        assertThat(HelperCalls.count(off, "bpf_trace_printk") + HelperCalls.count(off, "bpf_trace_vprintk")).isZero();
        // not a flow, new flow, table full, other full (the events' prints are dead with events off): clang merges some
        // of their call sites, and merged one more when the tunnel parse came in
        assertThat(HelperCalls.count(on, "bpf_trace_vprintk")).as("not a flow, new flow, table full, other full").isGreaterThanOrEqualTo(3);
        System.out.printf("flow_xdp: debug off %d xlated insns / %d jited bytes, on %d / %d%n", off.length / 8, offJited, on.length / 8, onJited);
    }
}
