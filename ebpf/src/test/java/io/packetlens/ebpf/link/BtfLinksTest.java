package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.ebpf.tracing.KernelBtf;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Programs attached by BTF id: tp_btf through a tracing link, and the task iterator read from Java. */
@KernelTest
class BtfLinksTest {
    private static final int NR_GETPID = 39;

    private static long bss(ObjectSpec spec, BpfObject obj, String variable) {
        return obj.readLong(spec.variable(variable));
    }

    private static ObjectSpec spec() {
        ObjectSpec spec = ObjectSpec.fromResource(BtfLinksTest.class, "/bpf/sections_trace.bpf.o");
        spec.variable("target_tgid").set(ProcessHandle.current().pid());
        spec.variable("task_tgid_off").set(KernelBtf.offsetOf("task_struct", "tgid"));
        spec.variable("task_pid_off").set(KernelBtf.offsetOf("task_struct", "pid"));
        return spec;
    }

    @Test
    void aBtfTracepointCountsTheTestsOwnSystemCallsWhileAttached() {
        ObjectSpec spec = spec();
        try (BpfObject obj = spec.load()) {
            for (int i = 0; i < 3; i++) Syscalls.syscall(NR_GETPID, 0, 0, 0, 0, 0);
            assertThat(bss(spec, obj, "sys_enter_getpid")).as("not attached yet").isZero();
            try (TracingLink link = TracingLink.attach(obj.program("sys_enter"))) {
                assertThat(link.info().id()).isPositive();
                for (int i = 0; i < 7; i++) Syscalls.syscall(NR_GETPID, 0, 0, 0, 0, 0);
                assertThat(bss(spec, obj, "sys_enter_getpid")).isEqualTo(7);
            }
            Syscalls.syscall(NR_GETPID, 0, 0, 0, 0, 0);
            assertThat(bss(spec, obj, "sys_enter_getpid")).as("nothing after close").isEqualTo(7);
        }
    }

    @Test
    void theTaskIteratorListsThisProcessesThreads() throws Exception {
        try (BpfObject obj = spec().load(); IterLink it = IterLink.attach(obj.program("dump_tasks"))) {
            long pid = ProcessHandle.current().pid();
            List<String> lines = it.readText().lines().toList();
            assertThat(lines).allMatch(l -> l.matches("-?\\d+ -?\\d+"));
            List<String> mine = lines.stream().filter(l -> l.startsWith(pid + " ")).toList();
            // the main thread (pid == tgid) and this JVM's others, as /proc lists them
            assertThat(mine).contains(pid + " " + pid);
            long procThreads;
            try (var s = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
                procThreads = s.count();
            }
            assertThat((long) mine.size()).isBetween(procThreads - 5, procThreads + 5);
            // every pass is a fresh walk
            assertThat(it.readText().lines().anyMatch(l -> l.equals(pid + " " + pid))).isTrue();
        }
    }

    @Test
    void programsOfOtherKindsAreRefusedNamingWhatTheyAre() {
        try (BpfObject obj = spec().load()) {
            assertThatThrownBy(() -> TracingLink.attach(obj.program("dump_tasks"))).isInstanceOf(BpfException.class)
                    .hasMessageContaining("an iterator attaches with IterLink");
            assertThatThrownBy(() -> IterLink.attach(obj.program("sys_enter"))).isInstanceOf(BpfException.class)
                    .hasMessageContaining("not an iterator");
        }
    }
}
