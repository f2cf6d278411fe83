package io.packetlens.ebpf;

import io.packetlens.ebpf.features.KernelFileSystems;
import io.packetlens.ebpf.tracing.TraceLine;
import io.packetlens.ebpf.tracing.TracePipe;
import io.packetlens.ebpf.tracing.Tracefs;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** bpf_printk output read from a private tracefs instance, and tracefs found by its magic number. */
class TracePipeTest {

    @Test
    @KernelTest
    void printkLinesOfATestProgramArriveInAPrivateInstance() throws Exception {
        int marker = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
        ObjectSpec spec = ObjectSpec.fromResource(TracePipeTest.class, "/bpf/info_test.bpf.o");
        spec.variable("marker").set(marker);
        String name = "pl-ops-" + ProcessHandle.current().pid();
        Path dir;
        try (BpfObject obj = spec.load(); TracePipe pipe = TracePipe.openInstance(name)) {
            dir = pipe.path().getParent();
            assertThat(dir).isDirectory();
            assertThatThrownBy(() -> TracePipe.openInstance(name)).hasMessageContaining("already exists");
            obj.program("info_printk").testRun(TestRun.of(new byte[64]).repeat(3));
            List<TraceLine> ours = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (ours.size() < 3 && System.nanoTime() < deadline) {
                pipe.read(500, l -> {
                    if (l.message().equals("pl-info marker " + Integer.toUnsignedString(marker))) ours.add(l);
                });
            }
            assertThat(ours).hasSize(3);
            assertThat(ours).allSatisfy(l -> {
                assertThat(l.isBpfPrintk()).isTrue();
                assertThat(l.cpu()).isBetween(0, 4095);
                assertThat(l.pid()).isPositive();
                assertThat(l.timestamp()).isPositive();
            });
            assertThat(pipe.lines()).isGreaterThanOrEqualTo(3);
        }
        assertThat(dir).as("the instance is removed on close").doesNotExist();
    }

    @Test
    @KernelTest
    void tracefsIsFoundByItsMagicNumber() throws Exception {
        Path root = Tracefs.root();
        assertThat(Tracefs.find()).contains(root);
        assertThat(KernelFileSystems.TRACEFS.isAt(root)).isTrue();
        // coreutils' statfs agrees on the magic
        Process p = new ProcessBuilder("stat", "-f", "-c", "%t", root.toString()).start();
        assertThat(new String(p.getInputStream().readAllBytes()).strip()).isEqualTo("74726163");
        Path tmp = Files.createTempDirectory("pl-ops-notrace");
        try {
            assertThat(KernelFileSystems.TRACEFS.isAt(tmp)).isFalse();
        } finally {
            Files.delete(tmp);
        }
        assertThat(KernelFileSystems.BPF.isAt(Path.of("/tmp"))).isFalse();
    }

    @Test
    void traceLinesParseInEveryLayoutTheKernelWrites() {
        TraceLine l = TraceLine.parse("         bpftool-21867   [001] b..11  8348.193141: bpf_trace_printk: plops marker 42").orElseThrow();
        assertThat(l).isEqualTo(new TraceLine("bpftool", 21867, 1, "b..11", 8348.193141, "bpf_trace_printk", "plops marker 42"));
        TraceLine idle = TraceLine.parse("          <idle>-0       [000] ..s2.   100.000001: bpf_trace_printk: x: y").orElseThrow();
        assertThat(idle.task()).isEqualTo("<idle>");
        assertThat(idle.message()).isEqualTo("x: y");
        TraceLine tgid = TraceLine.parse(" kworker/u4:2-12 (  12) [003] d..1  5.5: bpf_trace_printk: hi").orElseThrow();
        assertThat(tgid.task()).isEqualTo("kworker/u4:2");
        assertThat(tgid.pid()).isEqualTo(12);
        assertThat(tgid.cpu()).isEqualTo(3);
        TraceLine noFlags = TraceLine.parse("my-task-7 [002] 17.25: bpf_trace_printk: dash-named task").orElseThrow();
        assertThat(noFlags.task()).isEqualTo("my-task");
        assertThat(noFlags.flags()).isEmpty();
        assertThat(TraceLine.parse("CPU:1 [LOST 12 EVENTS]")).isEmpty();
    }
}
