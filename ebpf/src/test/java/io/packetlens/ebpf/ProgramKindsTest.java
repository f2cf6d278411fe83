package io.packetlens.ebpf;

import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every program type of libbpf's section table that this kernel loads, from test objects written for it: each program
 * gets its type, expected attach type and flags from its section name alone, and what is missing gets a message that
 * names it.
 */
@KernelTest
class ProgramKindsTest {
    static ObjectSpec object(String name) {
        return ObjectSpec.fromResource(ProgramKindsTest.class, "/bpf/" + name + ".bpf.o");
    }

    /** A .bss counter of a loaded object. */
    static long bss(ObjectSpec spec, BpfObject obj, String variable) {
        return obj.readLong(spec.variable(variable));
    }

    @Test
    void everyHookSectionLoadsWithTheTypeItsNameSays() {
        ObjectSpec spec = object("sections_hooks");
        Map<String, ProgramType> expected = Map.ofEntries(
                Map.entry("on_connect4", ProgramType.CGROUP_SOCK_ADDR), Map.entry("on_sendmsg4", ProgramType.CGROUP_SOCK_ADDR),
                Map.entry("on_recvmsg4", ProgramType.CGROUP_SOCK_ADDR), Map.entry("on_getsockopt", ProgramType.CGROUP_SOCKOPT),
                Map.entry("on_setsockopt", ProgramType.CGROUP_SOCKOPT), Map.entry("on_sysctl", ProgramType.CGROUP_SYSCTL),
                Map.entry("on_dev", ProgramType.CGROUP_DEVICE), Map.entry("on_sock_create", ProgramType.CGROUP_SOCK),
                Map.entry("on_post_bind4", ProgramType.CGROUP_SOCK), Map.entry("on_sockops", ProgramType.SOCK_OPS),
                Map.entry("on_lookup", ProgramType.SK_LOOKUP), Map.entry("on_reuseport", ProgramType.SK_REUSEPORT),
                Map.entry("on_dissect", ProgramType.FLOW_DISSECTOR), Map.entry("on_syscall", ProgramType.SYSCALL),
                Map.entry("on_devmap", ProgramType.XDP), Map.entry("on_cpumap", ProgramType.XDP),
                Map.entry("on_frags", ProgramType.XDP), Map.entry("on_kprobe", ProgramType.KPROBE));
        assertThat(spec.programs().keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        assertThat(spec.program("on_getsockopt").attachType()).isEqualTo(AttachType.CGROUP_GETSOCKOPT);
        assertThat(spec.program("on_devmap").attachType()).isEqualTo(AttachType.XDP_DEVMAP);
        assertThat(spec.program("on_frags").flags()).isEqualTo(SectionNames.F_XDP_HAS_FRAGS);
        assertThat(spec.program("on_syscall").flags()).isEqualTo(SectionNames.F_SLEEPABLE);
        assertThat(spec.program("on_kprobe").attachTarget()).isEqualTo("__sys_connect");
        try (BpfObject obj = spec.load()) {
            for (var e : expected.entrySet()) {
                assertThat(ProgramType.nameOf(obj.program(e.getKey()).info().type())).as(e.getKey())
                        .isEqualTo(e.getValue().name().toLowerCase(java.util.Locale.ROOT));
            }
            // a SYSCALL program loads only sleepable (the flag came from the section) and runs with no packet
            TestRun.Result r = obj.program("on_syscall").testRun(new TestRun(new byte[0], 0, 0, null));
            assertThat(r.retval()).isZero();
            assertThat(bss(spec, obj, "syscall_runs")).isEqualTo(1);
        }
    }

    @Test
    void sectionsNewerThanDebiansLibbpfLoadToo() {
        ObjectSpec spec = object("sections_newer");
        assertThat(spec.program("on_netfilter").attachType()).isEqualTo(AttachType.NETFILTER);
        assertThat(spec.program("on_tcx_ingress").attachType()).isEqualTo(AttachType.TCX_INGRESS);
        assertThat(spec.program("on_tc_egress").attachType()).isEqualTo(AttachType.TCX_EGRESS);
        assertThat(spec.program("on_connect_unix").attachType()).isEqualTo(AttachType.CGROUP_UNIX_CONNECT);
        // netfilter programs came with 6.4 and the unix-socket hooks with 6.7: an older kernel loads the rest
        var kernel = io.packetlens.ebpf.features.KernelVersion.current();
        java.util.List<String> loadable = new java.util.ArrayList<>(java.util.List.of("on_tcx_ingress", "on_tc_egress"));
        if (kernel.atLeast(6, 4)) loadable.add("on_netfilter");
        if (kernel.atLeast(6, 7)) loadable.add("on_connect_unix");
        try (BpfObject obj = spec.retainPrograms(loadable).load()) {
            if (kernel.atLeast(6, 4)) assertThat(ProgramType.nameOf(obj.program("on_netfilter").info().type())).isEqualTo("netfilter");
            assertThat(obj.programs().keySet()).containsExactlyInAnyOrderElementsOf(loadable);
        }
    }

    @Test
    void btfAttachedProgramsGetTheirTargetsIdFromTheKernelsBtf() {
        ObjectSpec spec = object("sections_trace");
        try (BpfObject obj = spec.load()) {
            var btf = io.packetlens.ebpf.tracing.KernelBtf.vmlinux();
            int tp = btf.findByName(io.packetlens.ebpf.btf.BtfKind.TYPEDEF, "btf_trace_sys_enter").orElseThrow().id();
            int iter = btf.findByName(io.packetlens.ebpf.btf.BtfKind.FUNC, "bpf_iter_task").orElseThrow().id();
            assertThat(obj.program("sys_enter").info().attachBtfId()).isEqualTo(tp);
            assertThat(obj.program("dump_tasks").info().attachBtfId()).isEqualTo(iter);
        }
    }

    @Test
    void whatABtfAttachedProgramLacksIsNamed() {
        ObjectSpec spec = object("sections_trace").retainPrograms(java.util.List.of("sys_enter"));
        spec.program("sys_enter").attachTarget("no_such_tracepoint");
        assertThatThrownBy(spec::load).isInstanceOf(BpfException.NotFoundException.class)
                .hasMessageContaining("program sys_enter in section 'tp_btf/sys_enter'")
                .hasMessageContaining("has no tracepoint 'no_such_tracepoint' (no TYPEDEF btf_trace_no_such_tracepoint)");
        ObjectSpec bare = object("sections_trace").retainPrograms(java.util.List.of("sys_enter"));
        bare.program("sys_enter").attachTarget("");
        assertThatThrownBy(bare::load).isInstanceOf(BpfException.class)
                .hasMessageContaining("attaches by BTF id but names no target");
    }

    @Test
    void aMissingExpectedAttachTypeIsNamedNotBlamedOnTheVerifier() {
        ObjectSpec spec = object("sections_hooks").retainPrograms(java.util.List.of("on_getsockopt"));
        spec.program("on_getsockopt").attachType(null);
        assertThatThrownBy(spec::load).isInstanceOf(BpfException.class).isNotInstanceOf(VerifierException.class)
                .hasMessageContaining("CGROUP_SOCKOPT programs need an expected attach type");
    }

    /**
     * fentry, fexit and lsm run through a BPF trampoline. Where the kernel builds one they load, attach and count the
     * test's own getpid calls; this machine's kernel refuses them with EPERM even to root (tp_btf and iterators, which
     * need no trampoline, load), and the error must say so rather than blame privileges.
     */
    @Test
    void trampolineProgramsFireOrTheRefusalIsExplained() {
        ObjectSpec spec = object("sections_trampoline");
        spec.variable("target_tgid").set(ProcessHandle.current().pid());
        BpfObject obj;
        try {
            obj = spec.load();
        } catch (BpfException e) {
            assertThat(e.errno()).isEqualTo(Errno.EPERM);
            assertThat(e).hasMessageContaining("BPF trampoline").hasMessageContaining("getpid_entry");
            return;
        }
        try (obj; var entry = io.packetlens.ebpf.link.TracingLink.attach(obj.program("getpid_entry"));
             var exit = io.packetlens.ebpf.link.TracingLink.attach(obj.program("getpid_exit"))) {
            for (int i = 0; i < 5; i++) io.packetlens.ebpf.sys.Syscalls.syscall(39, 0, 0, 0, 0, 0);
            assertThat(bss(spec, obj, "fentry_hits")).isGreaterThanOrEqualTo(5);
            assertThat(bss(spec, obj, "fexit_ret")).isEqualTo(ProcessHandle.current().pid());
        }
    }
}
