package io.packetlens.ebpf;

import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.core.CoreRelocator;
import io.packetlens.ebpf.link.IterLink;
import io.packetlens.ebpf.tracing.KernelBtf;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CO-RE relocations applied against this kernel's BTF: a task iterator built against local declarations of
 * task_struct with made-up offsets reads the right pid, tgid, parent and flags of every task (checked against
 * /proc), a read of a field no kernel has is poisoned and dead behind bpf_core_field_exists(), and an unguarded one
 * is refused by the verifier at the poisoned instruction. libbpf's tags for the same object are compared in
 * {@link LibbpfParityTest}.
 */
@KernelTest
class CoreRelocationTest {
    private static ObjectSpec object(String name) {
        return ObjectSpec.fromResource(CoreRelocationTest.class, "/bpf/" + name + ".bpf.o");
    }

    /** /proc/PID/stat fields after the command name: [0] is field 3 (state), [1] ppid, ... [6] flags. */
    private static String[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return s.substring(s.lastIndexOf(')') + 2).split(" ");
        } catch (java.io.IOException e) {
            return null; // the task ended
        }
    }

    @Test
    void taskFieldsReadThroughRelocationsMatchProc() {
        ObjectSpec spec = object("core_test");
        assertThat(spec.coreRelocations()).isGreaterThanOrEqualTo(10);
        assertThat(spec.program("core_tasks").coreRelocations()).hasSize(spec.coreRelocations());
        long self = ProcessHandle.current().pid();
        long taskSize = KernelBtf.vmlinux().sizeOf(KernelBtf.vmlinux().findByName(BtfKind.STRUCT, "task_struct").orElseThrow().id());
        try (BpfObject obj = spec.load(); IterLink it = IterLink.attach(obj.program("core_tasks"))) {
            List<String> lines = it.readText().lines().toList();
            Map<Long, String[]> byPid = new HashMap<>();
            for (String l : lines) {
                String[] f = l.split(" ");
                assertThat(f).as(l).hasSize(12);
                byPid.put(Long.parseLong(f[0]), f);
                assertThat(f[5]).as("bpf_core_field_exists of a field no kernel has").isEqualTo("0");
                assertThat(f[6]).as("the guarded read did not run").isEqualTo("-1");
                assertThat(f[7]).as("a 1-bit field").isIn("0", "1");
                assertThat(f[8]).as("bpf_core_field_size(pid)").isEqualTo("4");
                assertThat(f[9]).as("the kernel's PIDTYPE_TGID").isEqualTo("1");
                assertThat(f[10]).isEqualTo("1");
                assertThat(Long.parseLong(f[11])).as("bpf_core_type_size(struct task_struct)").isEqualTo(taskSize);
                assertThat(f[3]).as("tgid through a flavour").isEqualTo(f[1]);
            }
            String[] mine = byPid.get(self);
            assertThat(mine).as("this JVM's main thread among %d tasks", lines.size()).isNotNull();
            assertThat(Long.parseLong(mine[1])).isEqualTo(self);
            assertThat(Long.parseLong(mine[2])).isEqualTo(ProcessHandle.current().parent().orElseThrow().pid());
            // every process still alive: its parent and its flags (PF_*) as /proc says them
            int checked = 0;
            for (var e : byPid.entrySet()) {
                String[] f = e.getValue();
                if (!f[0].equals(f[1])) continue;
                String[] st = stat(e.getKey());
                if (st == null) continue;
                assertThat(f[2]).as("ppid of %s", e.getKey()).isEqualTo(st[1]);
                if (e.getKey() == self || e.getKey() == 1) assertThat(f[4]).as("flags of %s", e.getKey()).isEqualTo(st[6]);
                checked++;
            }
            assertThat(checked).isGreaterThan(5);
        }
    }

    @Test
    void whatEachRelocationDidIsReported() {
        ObjectSpec spec = object("core_test");
        ProgramSpec p = spec.program("core_tasks");
        byte[] insns = p.instructions().clone();
        var results = new CoreRelocator(spec.btf(), KernelBtf.vmlinux()).apply(p.name(), insns, p.coreRelocations());
        assertThat(results).hasSize(p.coreRelocations().size());
        int taskPid = io.packetlens.ebpf.tracing.KernelBtf.offsetOf("task_struct", "pid");
        assertThat(results).anySatisfy(r -> {
            assertThat(r.local()).contains("task_struct").contains(".pid");
            assertThat(r.to()).isEqualTo(taskPid);
        });
        assertThat(results).filteredOn(CoreRelocator.Result::poisoned).isNotEmpty()
                .allSatisfy(r -> assertThat(r.local()).contains("no_such_field_in_any_kernel"));
        assertThat(results).filteredOn(r -> r.local().contains("no_such_field_in_any_kernel") && !r.poisoned())
                .allSatisfy(r -> assertThat(r.to()).as("field_exists").isZero());
    }

    @Test
    void anUnguardedReadOfAMissingFieldIsRefusedAtThePoisonedInstruction() {
        assertThatThrownBy(() -> object("core_reject").load()).isInstanceOf(VerifierException.class)
                .hasMessageContaining("unknown#" + CoreRelocator.POISON);
    }

    @Test
    void aTargetBtfFileCanStandInForTheKernels() throws Exception {
        Path copy = Files.createTempFile("pl-vmlinux", ".btf");
        try {
            Files.copy(KernelBtf.VMLINUX, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            try (BpfObject obj = object("core_test").load(LoadOptions.defaults().targetBtf(copy));
                 IterLink it = IterLink.attach(obj.program("core_tasks"))) {
                assertThat(it.readText()).contains(ProcessHandle.current().pid() + " " + ProcessHandle.current().pid() + " ");
            }
            assertThatThrownBy(() -> object("core_test").load(LoadOptions.defaults().targetBtf(Path.of("/nonexistent.btf"))))
                    .isInstanceOf(BpfException.class).hasMessageContaining("cannot read target BTF /nonexistent.btf");
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    /**
     * bpf_core_type_matches() (clang 14 cannot emit it, so the relocation is written by hand on a mov instruction): the
     * kernel's own struct matches itself, and the test's task_struct, whose flags is a u64 where the kernel has a
     * u32, does not match, though it is compatible.
     */
    @Test
    void typeMatchesIsStricterThanCompatibility() {
        var vmlinux = KernelBtf.vmlinux();
        int kernelTask = vmlinux.findByName(BtfKind.STRUCT, "task_struct").orElseThrow().id();
        byte[] mov = io.packetlens.ebpf.asm.Insn.movImm(0, 1); // r0 = 1: what the compiler writes for "matches"
        var self = new CoreRelocator(vmlinux, vmlinux).apply("p", mov.clone(),
                List.of(new io.packetlens.ebpf.btf.BtfExt.CoreRelo(0, kernelTask, "0", io.packetlens.ebpf.core.CoreKind.TYPE_MATCHES.ordinal())));
        assertThat(self.getFirst().to()).isEqualTo(1);
        ObjectSpec spec = object("core_test");
        int localTask = spec.btf().findByName(BtfKind.STRUCT, "task_struct").orElseThrow().id();
        var relocator = new CoreRelocator(spec.btf(), vmlinux);
        var matches = relocator.apply("p", mov.clone(),
                List.of(new io.packetlens.ebpf.btf.BtfExt.CoreRelo(0, localTask, "0", io.packetlens.ebpf.core.CoreKind.TYPE_MATCHES.ordinal())));
        assertThat(matches.getFirst().to()).as("type_matches").isZero();
        var exists = relocator.apply("p", mov.clone(),
                List.of(new io.packetlens.ebpf.btf.BtfExt.CoreRelo(0, localTask, "0", io.packetlens.ebpf.core.CoreKind.TYPE_EXISTS.ordinal())));
        assertThat(exists.getFirst().to()).as("type_exists").isEqualTo(1);
    }
}
