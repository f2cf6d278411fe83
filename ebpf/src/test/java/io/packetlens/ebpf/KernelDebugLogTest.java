package io.packetlens.ebpf;

import io.packetlens.ebpf.info.HelperCalls;
import io.packetlens.ebpf.tracing.KernelDebugLine;
import io.packetlens.ebpf.tracing.KernelDebugLog;
import io.packetlens.ebpf.tracing.TraceLine;
import io.packetlens.ebpf.tracing.TracePipe;
import io.packetlens.ebpf.tracing.Tracefs;
import io.packetlens.testkit.KernelTest;
import io.packetlens.testkit.LogCapture;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * packetlens_debug.h's PL_DEBUG prints in the Java log, through KernelDebugLog, and gone from the program when the
 * switch is off. The test object debug_test.bpf.c prints, per run, an untagged line, a line with another log's tag and
 * two lines of this log's; each carries a random cookie from the test-run frame, so that what other tests print at the
 * same time (into their own tracefs instances or the top-level buffer) cannot be mistaken for these.
 */
class KernelDebugLogTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static ObjectSpec spec() {
        return ObjectSpec.fromResource(KernelDebugLogTest.class, "/bpf/debug_test.bpf.o");
    }

    private static byte[] frame(int cookie) {
        return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putInt(0, cookie).array();
    }

    private static int cookie() {
        return ThreadLocalRandom.current().nextInt(1 << 20, Integer.MAX_VALUE) & ~3; // even, bit 1 clear: debug_quiet passes
    }

    /** A tracefs filter file answers only a read at offset 0 (Files.readString reads its first byte alone). */
    private static String readInOneCall(Path file) throws java.io.IOException {
        try (var in = Files.newInputStream(file)) {
            byte[] b = new byte[4096];
            int n = in.read(b);
            return n < 0 ? "" : new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    @KernelTest
    void aProgramsDebugPrintsAreLoggedWithItsNameTaskAndCpu() throws Exception {
        int cookie = cookie();
        String c = Integer.toUnsignedString(cookie);
        try (LogCapture logs = LogCapture.open(KernelDebugLog.LOGGER); KernelDebugLog log = KernelDebugLog.start()) {
            assertThat(log.privateInstance()).as("this kernel has the bpf_trace_printk event in instances").isTrue();
            Path instance = log.pipe().getParent();
            assertThat(instance.getFileName().toString()).startsWith("packetlens-debug-" + ProcessHandle.current().pid() + "-");
            assertThat(readInOneCall(instance.resolve("events/bpf_trace/bpf_trace_printk/filter")))
                    .as("the kernel keeps only this log's lines in the instance").contains("pl:" + Integer.toHexString(log.tag()) + ":");
            try (BpfObject obj = log.configure(spec()).load()) {
                obj.program("debug_print").testRun(TestRun.of(frame(cookie)).repeat(3));
                List<LogRecord> mine = logs.await(r -> r.getMessage().contains(" " + c), 6, WAIT);
                assertThat(mine).hasSize(6);
                assertThat(mine).filteredOn(r -> r.getMessage().startsWith("[dbgtest] cookie " + c + " (")).hasSize(3);
                assertThat(mine).filteredOn(r -> r.getMessage().startsWith("[dbgtest] cookie " + c + " args 1 22 333 (")).hasSize(3);
                assertThat(mine).allSatisfy(r -> {
                    assertThat(r.getLoggerName()).isEqualTo("packetlens.kernel.dbgtest");
                    assertThat(r.getLevel()).isEqualTo(Level.INFO);
                    // test-run runs the program in this process, on this thread's CPU
                    assertThat(r.getMessage()).matches(".* \\(.+ pid \\d+, cpu \\d+\\)$");
                });
                assertThat(logs.messages()).noneMatch(m -> m.contains("untagged") || m.contains("foreign"));
                assertThat(log.logged()).isGreaterThanOrEqualTo(6);
                assertThat(log.foreign()).as("the kernel's filter kept the untagged and other-tag lines out of the instance").isZero();
            }
            log.close();
            assertThat(instance).as("the instance goes with the log").doesNotExist();
        }
    }

    @Test
    @KernelTest
    void linesOfOtherProgramsAndOtherLogsAreLeftOut() throws Exception {
        int cookie = cookie();
        String c = Integer.toUnsignedString(cookie);
        // an instance without the kernel filter: every bpf_printk line reaches the log, which must pick its own
        try (LogCapture logs = LogCapture.open(KernelDebugLog.LOGGER);
             KernelDebugLog log = KernelDebugLog.start(KernelDebugLog.Source.INSTANCE)) {
            try (BpfObject obj = log.configure(spec()).load()) {
                obj.program("debug_print").testRun(TestRun.of(frame(cookie)).repeat(4));
                // each run prints the two foreign lines before this log's two: once these are in, the others were read
                assertThat(logs.await(r -> r.getMessage().contains(" " + c), 8, WAIT)).hasSize(8);
            }
            assertThat(logs.messages()).noneMatch(m -> m.contains("untagged") || m.contains("foreign tag"));
            assertThat(log.foreign()).as("the untagged and the other log's lines, read and left out").isGreaterThanOrEqualTo(8);
        }
    }

    @Test
    @KernelTest
    void withTheSwitchOffTheVerifierRemovesThePrints() throws Exception {
        int cookie = cookie();
        String c = Integer.toUnsignedString(cookie);
        byte[] off, on;
        int offJited, onJited;
        List<TraceLine> seen = new ArrayList<>();
        // an unfiltered private instance sees every bpf_printk line, whatever its tag
        try (TracePipe pipe = TracePipe.openInstance("pl-printk-off-" + ProcessHandle.current().pid())) {
            try (BpfObject quiet = spec().load(); BpfObject loud = KernelDebugLog.configure(spec(), 0x600d).load()) {
                BpfProgram q = quiet.program("debug_quiet");
                assertThat(q.testRun(TestRun.of(frame(cookie)).repeat(3)).xdpAction()).isEqualTo(XdpAction.PASS);
                assertThat(q.testRun(TestRun.of(frame(cookie | 1)).repeat(3)).xdpAction()).isEqualTo(XdpAction.PASS);
                off = q.xlatedInstructions();
                offJited = q.info().jitedLength();
                BpfProgram l = loud.program("debug_quiet");
                l.testRun(TestRun.of(frame(cookie)));
                on = l.xlatedInstructions();
                onJited = l.info().jitedLength();
                // what bpftool, reading the same instructions, names
                String offDump = Bpftool.run("prog", "dump", "xlated", "id", Integer.toString(q.id()));
                String onDump = Bpftool.run("prog", "dump", "xlated", "id", Integer.toString(l.id()));
                assertThat(offDump).doesNotContain("bpf_trace_printk").doesNotContain("bpf_trace_vprintk");
                assertThat(onDump).contains("call bpf_trace_printk").contains("call bpf_trace_vprintk");
            }
            // the loud copy's line is the sentinel: once it is read, the quiet one's six runs would have been too
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (seen.stream().noneMatch(t -> t.message().startsWith("pl:600d:dbgtest: even cookie " + c)) && System.nanoTime() < deadline) {
                pipe.read(200, t -> {
                    if (t.message().contains("cookie " + c) || t.message().contains("cookie " + (cookie | 1))) seen.add(t);
                });
            }
        }
        assertThat(seen).extracting(TraceLine::message).singleElement().asString().startsWith("pl:600d:dbgtest: even cookie " + c);
        assertThat(HelperCalls.count(off, "bpf_trace_printk") + HelperCalls.count(off, "bpf_trace_vprintk")).isZero();
        assertThat(HelperCalls.count(on, "bpf_trace_printk")).isEqualTo(1);
        assertThat(HelperCalls.count(on, "bpf_trace_vprintk")).isEqualTo(1);
        assertThat(off.length).as("the dead branches are gone, not just skipped").isLessThan(on.length);
        System.out.printf("debug_quiet: switch off %d xlated insns / %d jited bytes, on %d / %d%n",
                off.length / 8, offJited, on.length / 8, onJited);
    }

    @Test
    @KernelTest
    void anInstanceLeftByADeadProcessIsRemoved() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = Tracefs.root().resolve("instances/packetlens-debug-" + gone.pid() + "-abc");
        Files.createDirectory(stale);
        try (KernelDebugLog log = KernelDebugLog.start()) {
            assertThat(stale).doesNotExist();
            assertThat(log.pipe()).exists();
        } finally {
            Files.deleteIfExists(stale);
        }
    }

    @Test
    void debugLinesParseFromTheirTraceLine() {
        TraceLine t = TraceLine.parse("  java-4242  [001] b..11  8348.193141: bpf_trace_printk: pl:1f2e3d4c:guard: drop reason 4 rule 2").orElseThrow();
        KernelDebugLine d = KernelDebugLine.parse(t).orElseThrow();
        assertThat(d.tag()).isEqualTo(0x1f2e3d4c);
        assertThat(d.program()).isEqualTo("guard");
        assertThat(d.text()).isEqualTo("drop reason 4 rule 2");
        assertThat(d.trace().pid()).isEqualTo(4242);
        assertThat(KernelDebugLine.parse(TraceLine.parse("x-1 [000] 1.0: bpf_trace_printk: pl:ffffffff:flow: a: b").orElseThrow()).orElseThrow().tag())
                .isEqualTo(-1);
        assertThat(KernelDebugLine.prefix(-1)).isEqualTo("pl:ffffffff:");
        assertThat(KernelDebugLine.parse(TraceLine.parse("x-1 [000] 1.0: bpf_trace_printk: pl-info marker 7").orElseThrow())).isEmpty();
        assertThat(KernelDebugLine.parse(TraceLine.parse("x-1 [000] 1.0: bpf_trace_printk: pl:zz:flow: no tag").orElseThrow())).isEmpty();
        assertThat(KernelDebugLine.parse(TraceLine.parse("x-1 [000] 1.0: sched_switch: pl:1:flow: not printk").orElseThrow())).isEmpty();
    }
}
