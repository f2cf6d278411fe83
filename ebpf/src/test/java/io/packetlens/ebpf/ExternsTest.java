package io.packetlens.ebpf;

import io.packetlens.ebpf.features.KernelConfig;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Externs resolved at load: the __kconfig values a SYSCALL program reads match the kernel's configuration, a kfunc pair
 * (bpf_task_from_pid, bpf_task_release) runs and finds this process, a weak kfunc the kernel lacks loads as dead code
 * behind bpf_ksym_exists(), and an untyped __ksym holds the address /proc/kallsyms gives.
 */
@KernelTest
class ExternsTest {
    private static ObjectSpec object() {
        return ObjectSpec.fromResource(ExternsTest.class, "/bpf/externs_test.bpf.o");
    }

    @Test
    void theProgramSeesTheKernelsConfigurationKfuncsAndSymbols() throws Exception {
        ObjectSpec spec = object();
        assertThat(spec.externs()).containsKeys("LINUX_KERNEL_VERSION", "CONFIG_HZ", "bpf_task_from_pid", "__x64_sys_getpid");
        assertThat(spec.externs().get("bpf_task_from_pid").kind()).isEqualTo(Extern.Kind.KFUNC);
        assertThat(spec.externs().get("bpf_pl_no_such_kfunc").weak()).isTrue();
        assertThat(spec.externs().get("__x64_sys_getpid").kind()).isEqualTo(Extern.Kind.KSYM_UNTYPED);
        KernelConfig config;
        try {
            config = KernelConfig.current();
        } catch (BpfException.NotFoundException e) {
            // a kernel that publishes no configuration (the 6.1 VM of scripts/test-kernel61.sh): the load says so
            assertThatThrownBy(spec::load).isInstanceOf(BpfException.NotFoundException.class)
                    .hasMessageContaining("no kernel configuration").hasMessageContaining("__kconfig externs cannot be resolved");
            return;
        }
        long pid = ProcessHandle.current().pid();
        try (BpfObject obj = spec.load()) {
            // the object's BTF, with its extern VARs and FUNCs made loadable, was accepted: the program carries it
            assertThat(obj.program("read_externs").info().btfId()).isPositive();
            byte[] args = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt((int) pid).array();
            assertThat(obj.program("read_externs").testRun(new TestRun(new byte[0], 0, 0, args)).retval()).isZero();
            java.util.function.ToIntFunction<String> i32 = v -> (int) obj.readLong(spec.variable(v));
            KernelVersion k = KernelVersion.current();
            assertThat(i32.applyAsInt("kernel_version")).isEqualTo((k.major() << 16) + (k.minor() << 8) + Math.min(k.patch(), 255));
            assertThat(i32.applyAsInt("bpf_syscall")).isEqualTo(config.get("CONFIG_BPF_SYSCALL").orElseThrow().equals("y") ? 1 : 0);
            assertThat(i32.applyAsInt("bpf_lsm")).isEqualTo(tristate(config.get("CONFIG_BPF_LSM").orElse("n")));
            assertThat(i32.applyAsInt("sch_ingress")).isEqualTo(tristate(config.get("CONFIG_NET_SCH_INGRESS").orElse("n")));
            assertThat(i32.applyAsInt("hz")).isEqualTo(Integer.parseInt(config.get("CONFIG_HZ").orElseThrow()));
            byte[] host = new byte[16];
            System.arraycopy(obj.read(spec.variable("hostname")), 0, host, 0, host.length);
            String expected = config.get("CONFIG_DEFAULT_HOSTNAME").map(v -> v.substring(1, v.length() - 1)).orElse("");
            assertThat(new String(host, StandardCharsets.UTF_8).replace("\0", "")).isEqualTo(expected.length() > 15 ? expected.substring(0, 15) : expected);
            assertThat(i32.applyAsInt("no_such_option")).as("a weak option no kernel has").isZero();
            assertThat(i32.applyAsInt("found_tgid")).as("bpf_task_from_pid(this pid)->tgid").isEqualTo((int) pid);
            assertThat(i32.applyAsInt("no_such_kfunc")).as("bpf_ksym_exists of a missing weak kfunc").isZero();
            assertThat(i32.applyAsInt("task_from_pid_exists")).isEqualTo(1);
            long addr = obj.readLong(spec.variable("getpid_addr"));
            String line = Files.readAllLines(Path.of("/proc/kallsyms")).stream().filter(l -> l.endsWith(" __x64_sys_getpid")).findFirst().orElseThrow();
            assertThat(addr).isEqualTo(Long.parseUnsignedLong(line.split(" ")[0], 16));
            // libbpf's _Bool values: x86-64 syscalls go through __x64_sys_* wrappers; the cookie helper is probed
            assertThat(i32.applyAsInt("has_syscall_wrapper")).isEqualTo(1);
            assertThat(i32.applyAsInt("has_bpf_cookie"))
                    .isEqualTo(io.packetlens.ebpf.features.Features.hasHelper(ProgramType.TRACEPOINT, 174) ? 1 : 0);
        }
    }

    private static int tristate(String v) {
        return v.equals("y") ? 1 : v.equals("m") ? 2 : 0;
    }

    @Test
    void aStrongExternTheKernelLacksIsNamed() {
        ObjectSpec spec = object();
        // the weak kfunc's strong twin: what loading an object that needs it would say
        Extern strong = new Extern("bpf_pl_no_such_kfunc", Extern.Kind.KFUNC, false, spec.externs().get("bpf_pl_no_such_kfunc").typeId(), 0, 0, 0);
        assertThatThrownBy(() -> new Externs.Resolver(spec.name(), spec.btf()).resolve(strong))
                .isInstanceOf(BpfException.NotFoundException.class)
                .hasMessageContaining("extern bpf_pl_no_such_kfunc is not a kfunc of this kernel")
                .hasMessageContaining("declare it __weak");
    }
}
