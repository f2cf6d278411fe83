package io.packetlens.ebpf;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** libbpf's section table: names that match exactly, "+" prefixes, targets after the '/', and load flags. */
class SectionNamesTest {
    private static SectionNames.Kind kind(String s) {
        return SectionNames.of(s);
    }

    @Test
    void btfAttachedSectionsCarryTheirTarget() {
        assertThat(kind("fentry/tcp_v4_connect")).isEqualTo(new SectionNames.Kind(ProgramType.TRACING, AttachType.TRACE_FENTRY, 0, true, "tcp_v4_connect"));
        assertThat(kind("fexit.s/do_sys_openat2")).isEqualTo(new SectionNames.Kind(ProgramType.TRACING, AttachType.TRACE_FEXIT,
                SectionNames.F_SLEEPABLE, true, "do_sys_openat2"));
        assertThat(kind("tp_btf/kfree_skb").attach()).isEqualTo(AttachType.TRACE_RAW_TP);
        assertThat(kind("fmod_ret/security_file_open").attach()).isEqualTo(AttachType.MODIFY_RETURN);
        assertThat(kind("lsm/file_open")).isEqualTo(new SectionNames.Kind(ProgramType.LSM, AttachType.LSM_MAC, 0, true, "file_open"));
        assertThat(kind("lsm_cgroup/socket_bind").attach()).isEqualTo(AttachType.LSM_CGROUP);
        assertThat(kind("iter/tcp")).isEqualTo(new SectionNames.Kind(ProgramType.TRACING, AttachType.TRACE_ITER, 0, true, "tcp"));
        assertThat(kind("iter.s/task").flags()).isEqualTo(SectionNames.F_SLEEPABLE);
        assertThat(kind("freplace/handler")).isEqualTo(new SectionNames.Kind(ProgramType.EXT, null, 0, true, "handler"));
        // "+" means the name alone or name/...; the bare name has no target yet (set one from Java)
        assertThat(kind("fentry")).isEqualTo(new SectionNames.Kind(ProgramType.TRACING, AttachType.TRACE_FENTRY, 0, true, ""));
        assertThat(kind("fentryx/foo")).isNull();
    }

    @Test
    void theCgroupFamilyHasItsExpectedAttachTypes() {
        assertThat(kind("cgroup/connect4")).isEqualTo(new SectionNames.Kind(ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT, 0, false, ""));
        assertThat(kind("cgroup/connect6").attach()).isEqualTo(AttachType.CGROUP_INET6_CONNECT);
        assertThat(kind("cgroup/sendmsg4").attach()).isEqualTo(AttachType.CGROUP_UDP4_SENDMSG);
        assertThat(kind("cgroup/recvmsg6").attach()).isEqualTo(AttachType.CGROUP_UDP6_RECVMSG);
        assertThat(kind("cgroup/getsockopt")).isEqualTo(new SectionNames.Kind(ProgramType.CGROUP_SOCKOPT, AttachType.CGROUP_GETSOCKOPT, 0, false, ""));
        assertThat(kind("cgroup/setsockopt").attach()).isEqualTo(AttachType.CGROUP_SETSOCKOPT);
        assertThat(kind("cgroup/sysctl").type()).isEqualTo(ProgramType.CGROUP_SYSCTL);
        assertThat(kind("cgroup/dev").attach()).isEqualTo(AttachType.CGROUP_DEVICE);
        assertThat(kind("cgroup/sock_create").attach()).isEqualTo(AttachType.CGROUP_INET_SOCK_CREATE);
        assertThat(kind("cgroup/sock").attach()).isEqualTo(AttachType.CGROUP_INET_SOCK_CREATE);
        assertThat(kind("cgroup/post_bind4").attach()).isEqualTo(AttachType.CGROUP_INET4_POST_BIND);
        assertThat(kind("cgroup/getpeername_unix").attach()).isEqualTo(AttachType.CGROUP_UNIX_GETPEERNAME);
        assertThat(kind("cgroup/skb")).isEqualTo(new SectionNames.Kind(ProgramType.CGROUP_SKB, null, 0, false, ""));
        assertThat(kind("cgroup_skb/egress").attach()).isEqualTo(AttachType.CGROUP_INET_EGRESS);
        assertThat(kind("cgroup/connect7")).isNull();
    }

    @Test
    void xdpAndTcVariants() {
        assertThat(kind("xdp")).isEqualTo(new SectionNames.Kind(ProgramType.XDP, AttachType.XDP, 0, false, ""));
        assertThat(kind("xdp.frags")).isEqualTo(new SectionNames.Kind(ProgramType.XDP, AttachType.XDP, SectionNames.F_XDP_HAS_FRAGS, false, ""));
        assertThat(kind("xdp/devmap").attach()).isEqualTo(AttachType.XDP_DEVMAP);
        assertThat(kind("xdp.frags/cpumap")).isEqualTo(new SectionNames.Kind(ProgramType.XDP, AttachType.XDP_CPUMAP, SectionNames.F_XDP_HAS_FRAGS, false, ""));
        // libbpf 1.0 dropped "xdp/<anything>": only the names above
        assertThat(kind("xdp/foo")).isNull();
        assertThat(kind("tc")).isEqualTo(new SectionNames.Kind(ProgramType.SCHED_CLS, null, 0, false, ""));
        assertThat(kind("tc/ingress").attach()).isEqualTo(AttachType.TCX_INGRESS);
        assertThat(kind("tcx/egress").attach()).isEqualTo(AttachType.TCX_EGRESS);
        assertThat(kind("netkit/peer").attach()).isEqualTo(AttachType.NETKIT_PEER);
    }

    @Test
    void tracingAndTheRest() {
        assertThat(kind("kprobe/tcp_v4_connect")).isEqualTo(new SectionNames.Kind(ProgramType.KPROBE, null, 0, false, "tcp_v4_connect"));
        assertThat(kind("kretprobe/tcp_v4_connect").type()).isEqualTo(ProgramType.KPROBE);
        assertThat(kind("uprobe.s//bin/bash:readline").flags()).isEqualTo(SectionNames.F_SLEEPABLE);
        assertThat(kind("kprobe.multi/tcp_*").attach()).isEqualTo(AttachType.TRACE_KPROBE_MULTI);
        assertThat(kind("tracepoint/skb/kfree_skb")).isEqualTo(new SectionNames.Kind(ProgramType.TRACEPOINT, null, 0, false, "skb/kfree_skb"));
        assertThat(kind("tp/skb/kfree_skb").target()).isEqualTo("skb/kfree_skb");
        assertThat(kind("raw_tp.w/sys_enter").type()).isEqualTo(ProgramType.RAW_TRACEPOINT_WRITABLE);
        assertThat(kind("syscall")).isEqualTo(new SectionNames.Kind(ProgramType.SYSCALL, null, SectionNames.F_SLEEPABLE, false, ""));
        assertThat(kind("sk_reuseport/migrate").attach()).isEqualTo(AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE);
        assertThat(kind("sk_reuseport").attach()).isEqualTo(AttachType.SK_REUSEPORT_SELECT);
        assertThat(kind("sk_skb/verdict").attach()).isEqualTo(AttachType.SK_SKB_VERDICT);
        assertThat(kind("sockops").attach()).isEqualTo(AttachType.CGROUP_SOCK_OPS);
        assertThat(kind("sk_lookup").attach()).isEqualTo(AttachType.SK_LOOKUP);
        assertThat(kind("netfilter").attach()).isEqualTo(AttachType.NETFILTER);
        assertThat(kind("flow_dissector").attach()).isEqualTo(AttachType.FLOW_DISSECTOR);
        assertThat(kind("struct_ops.s/init").flags()).isEqualTo(SectionNames.F_SLEEPABLE);
        assertThat(kind("lwt_seg6local").type()).isEqualTo(ProgramType.LWT_SEG6LOCAL);
        assertThat(kind("my_section")).isNull();
        assertThat(SectionNames.known()).contains("fentry+", "cgroup/connect4", "xdp", "iter.s+");
    }
}
