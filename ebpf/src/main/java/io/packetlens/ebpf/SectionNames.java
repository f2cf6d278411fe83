package io.packetlens.ebpf;

import java.util.List;

/**
 * libbpf's section table ({@code section_defs} in libbpf.c): maps an ELF section name to the program type, the
 * expected attach type and the load flags it stands for, and says whether the part after the first {@code /} names
 * a kernel function or type the program attaches to by BTF id ({@code fentry/tcp_v4_connect},
 * {@code tp_btf/kfree_skb}, {@code iter/tcp}). Matched as libbpf matches: in table order, the first that fits.
 */
final class SectionNames {
    /** BPF_F_SLEEPABLE of BPF_PROG_LOAD's prog_flags. */
    static final int F_SLEEPABLE = 1 << 4;
    /** BPF_F_XDP_HAS_FRAGS: the program takes multi-buffer frames. */
    static final int F_XDP_HAS_FRAGS = 1 << 5;

    /**
     * What a section name stands for.
     *
     * @param attach    expected attach type given at load, or null for none
     * @param flags     prog_flags libbpf sets for it ({@link #F_SLEEPABLE}, {@link #F_XDP_HAS_FRAGS})
     * @param attachBtf whether the program needs attach_btf_id, found from {@link #target}
     * @param target    the part after the section's prefix and its '/', or "" (the tracepoint, function, iterator)
     */
    record Kind(ProgramType type, AttachType attach, int flags, boolean attachBtf, String target) {}

    /** How a table entry matches: the name exactly, the name or name/anything (libbpf's "+"), or name/anything only. */
    private enum Match { EXACT, PLUS, SLASH }

    private record Def(String name, Match match, ProgramType type, AttachType attach, int flags, boolean btf) {
        String target(String section) {
            return section.length() > name.length() ? section.substring(name.length() + 1) : "";
        }

        boolean matches(String s) {
            return switch (match) {
                case EXACT -> s.equals(name);
                case PLUS -> s.equals(name) || s.startsWith(name + "/");
                case SLASH -> s.startsWith(name + "/");
            };
        }
    }

    private static Def exact(String n, ProgramType t, AttachType a) { return new Def(n, Match.EXACT, t, a, 0, false); }
    private static Def plus(String n, ProgramType t, AttachType a) { return new Def(n, Match.PLUS, t, a, 0, false); }
    private static Def sleepable(String n, Match m, ProgramType t, AttachType a) { return new Def(n, m, t, a, F_SLEEPABLE, false); }
    private static Def btf(String n, ProgramType t, AttachType a, int flags) { return new Def(n, Match.PLUS, t, a, flags, true); }

    /** libbpf 1.5's table, in its order (the order decides: "sk_reuseport/migrate" before "sk_reuseport"). */
    private static final List<Def> TABLE = List.of(
            exact("socket", ProgramType.SOCKET_FILTER, null),
            exact("sk_reuseport/migrate", ProgramType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE),
            exact("sk_reuseport", ProgramType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT),
            plus("kprobe", ProgramType.KPROBE, null),
            plus("uprobe", ProgramType.KPROBE, null),
            sleepable("uprobe.s", Match.PLUS, ProgramType.KPROBE, null),
            plus("kretprobe", ProgramType.KPROBE, null),
            plus("uretprobe", ProgramType.KPROBE, null),
            sleepable("uretprobe.s", Match.PLUS, ProgramType.KPROBE, null),
            plus("kprobe.multi", ProgramType.KPROBE, AttachType.TRACE_KPROBE_MULTI),
            plus("kretprobe.multi", ProgramType.KPROBE, AttachType.TRACE_KPROBE_MULTI),
            plus("kprobe.session", ProgramType.KPROBE, AttachType.TRACE_KPROBE_SESSION),
            plus("uprobe.multi", ProgramType.KPROBE, AttachType.TRACE_UPROBE_MULTI),
            plus("uretprobe.multi", ProgramType.KPROBE, AttachType.TRACE_UPROBE_MULTI),
            plus("uprobe.session", ProgramType.KPROBE, AttachType.TRACE_UPROBE_SESSION),
            sleepable("uprobe.multi.s", Match.PLUS, ProgramType.KPROBE, AttachType.TRACE_UPROBE_MULTI),
            sleepable("uretprobe.multi.s", Match.PLUS, ProgramType.KPROBE, AttachType.TRACE_UPROBE_MULTI),
            sleepable("uprobe.session.s", Match.PLUS, ProgramType.KPROBE, AttachType.TRACE_UPROBE_SESSION),
            plus("ksyscall", ProgramType.KPROBE, null),
            plus("kretsyscall", ProgramType.KPROBE, null),
            plus("usdt", ProgramType.KPROBE, null),
            sleepable("usdt.s", Match.PLUS, ProgramType.KPROBE, null),
            exact("tc/ingress", ProgramType.SCHED_CLS, AttachType.TCX_INGRESS),
            exact("tc/egress", ProgramType.SCHED_CLS, AttachType.TCX_EGRESS),
            exact("tcx/ingress", ProgramType.SCHED_CLS, AttachType.TCX_INGRESS),
            exact("tcx/egress", ProgramType.SCHED_CLS, AttachType.TCX_EGRESS),
            exact("tc", ProgramType.SCHED_CLS, null),
            exact("classifier", ProgramType.SCHED_CLS, null),
            exact("action", ProgramType.SCHED_ACT, null),
            exact("netkit/primary", ProgramType.SCHED_CLS, AttachType.NETKIT_PRIMARY),
            exact("netkit/peer", ProgramType.SCHED_CLS, AttachType.NETKIT_PEER),
            plus("tracepoint", ProgramType.TRACEPOINT, null),
            plus("tp", ProgramType.TRACEPOINT, null),
            plus("raw_tracepoint", ProgramType.RAW_TRACEPOINT, null),
            plus("raw_tp", ProgramType.RAW_TRACEPOINT, null),
            plus("raw_tracepoint.w", ProgramType.RAW_TRACEPOINT_WRITABLE, null),
            plus("raw_tp.w", ProgramType.RAW_TRACEPOINT_WRITABLE, null),
            btf("tp_btf", ProgramType.TRACING, AttachType.TRACE_RAW_TP, 0),
            btf("fentry", ProgramType.TRACING, AttachType.TRACE_FENTRY, 0),
            btf("fmod_ret", ProgramType.TRACING, AttachType.MODIFY_RETURN, 0),
            btf("fexit", ProgramType.TRACING, AttachType.TRACE_FEXIT, 0),
            btf("fentry.s", ProgramType.TRACING, AttachType.TRACE_FENTRY, F_SLEEPABLE),
            btf("fmod_ret.s", ProgramType.TRACING, AttachType.MODIFY_RETURN, F_SLEEPABLE),
            btf("fexit.s", ProgramType.TRACING, AttachType.TRACE_FEXIT, F_SLEEPABLE),
            btf("freplace", ProgramType.EXT, null, 0),
            btf("lsm", ProgramType.LSM, AttachType.LSM_MAC, 0),
            btf("lsm.s", ProgramType.LSM, AttachType.LSM_MAC, F_SLEEPABLE),
            btf("lsm_cgroup", ProgramType.LSM, AttachType.LSM_CGROUP, 0),
            btf("iter", ProgramType.TRACING, AttachType.TRACE_ITER, 0),
            btf("iter.s", ProgramType.TRACING, AttachType.TRACE_ITER, F_SLEEPABLE),
            sleepable("syscall", Match.EXACT, ProgramType.SYSCALL, null),
            new Def("xdp.frags/devmap", Match.EXACT, ProgramType.XDP, AttachType.XDP_DEVMAP, F_XDP_HAS_FRAGS, false),
            exact("xdp/devmap", ProgramType.XDP, AttachType.XDP_DEVMAP),
            new Def("xdp.frags/cpumap", Match.EXACT, ProgramType.XDP, AttachType.XDP_CPUMAP, F_XDP_HAS_FRAGS, false),
            exact("xdp/cpumap", ProgramType.XDP, AttachType.XDP_CPUMAP),
            new Def("xdp.frags", Match.EXACT, ProgramType.XDP, AttachType.XDP, F_XDP_HAS_FRAGS, false),
            exact("xdp", ProgramType.XDP, AttachType.XDP),
            exact("perf_event", ProgramType.PERF_EVENT, null),
            exact("lwt_in", ProgramType.LWT_IN, null),
            exact("lwt_out", ProgramType.LWT_OUT, null),
            exact("lwt_xmit", ProgramType.LWT_XMIT, null),
            exact("lwt_seg6local", ProgramType.LWT_SEG6LOCAL, null),
            exact("sockops", ProgramType.SOCK_OPS, AttachType.CGROUP_SOCK_OPS),
            exact("sk_skb/stream_parser", ProgramType.SK_SKB, AttachType.SK_SKB_STREAM_PARSER),
            exact("sk_skb/stream_verdict", ProgramType.SK_SKB, AttachType.SK_SKB_STREAM_VERDICT),
            exact("sk_skb/verdict", ProgramType.SK_SKB, AttachType.SK_SKB_VERDICT),
            exact("sk_skb", ProgramType.SK_SKB, null),
            exact("sk_msg", ProgramType.SK_MSG, AttachType.SK_MSG_VERDICT),
            exact("lirc_mode2", ProgramType.LIRC_MODE2, AttachType.LIRC_MODE2),
            exact("flow_dissector", ProgramType.FLOW_DISSECTOR, AttachType.FLOW_DISSECTOR),
            exact("cgroup_skb/ingress", ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS),
            exact("cgroup_skb/egress", ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS),
            exact("cgroup/skb", ProgramType.CGROUP_SKB, null),
            exact("cgroup/sock_create", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE),
            exact("cgroup/sock_release", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_RELEASE),
            exact("cgroup/sock", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE),
            exact("cgroup/post_bind4", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET4_POST_BIND),
            exact("cgroup/post_bind6", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET6_POST_BIND),
            exact("cgroup/bind4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_BIND),
            exact("cgroup/bind6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_BIND),
            exact("cgroup/connect4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT),
            exact("cgroup/connect6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_CONNECT),
            exact("cgroup/connect_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_CONNECT),
            exact("cgroup/sendmsg4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_SENDMSG),
            exact("cgroup/sendmsg6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP6_SENDMSG),
            exact("cgroup/sendmsg_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_SENDMSG),
            exact("cgroup/recvmsg4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_RECVMSG),
            exact("cgroup/recvmsg6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP6_RECVMSG),
            exact("cgroup/recvmsg_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_RECVMSG),
            exact("cgroup/getpeername4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_GETPEERNAME),
            exact("cgroup/getpeername6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_GETPEERNAME),
            exact("cgroup/getpeername_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_GETPEERNAME),
            exact("cgroup/getsockname4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_GETSOCKNAME),
            exact("cgroup/getsockname6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_GETSOCKNAME),
            exact("cgroup/getsockname_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_GETSOCKNAME),
            exact("cgroup/sysctl", ProgramType.CGROUP_SYSCTL, AttachType.CGROUP_SYSCTL),
            exact("cgroup/getsockopt", ProgramType.CGROUP_SOCKOPT, AttachType.CGROUP_GETSOCKOPT),
            exact("cgroup/setsockopt", ProgramType.CGROUP_SOCKOPT, AttachType.CGROUP_SETSOCKOPT),
            exact("cgroup/dev", ProgramType.CGROUP_DEVICE, AttachType.CGROUP_DEVICE),
            plus("struct_ops", ProgramType.STRUCT_OPS, null),
            sleepable("struct_ops.s", Match.PLUS, ProgramType.STRUCT_OPS, null),
            exact("sk_lookup", ProgramType.SK_LOOKUP, AttachType.SK_LOOKUP),
            exact("netfilter", ProgramType.NETFILTER, AttachType.NETFILTER));

    private SectionNames() {}

    /** The kind for a section name, or {@code null} if libbpf's table has no entry for it. */
    static Kind of(String section) {
        for (Def d : TABLE) {
            if (d.matches(section)) return new Kind(d.type, d.attach, d.flags, d.btf, d.target(section));
        }
        return null;
    }

    /** Every section name (or prefix, with "+" or "/" as libbpf writes them) the table knows, for error messages. */
    static List<String> known() {
        return TABLE.stream().map(d -> d.name + switch (d.match) { case EXACT -> ""; case PLUS -> "+"; case SLASH -> "/"; }).toList();
    }
}
