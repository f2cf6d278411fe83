package io.packetlens.ebpf;

/** {@code enum bpf_prog_type} of linux/bpf.h. */
public enum ProgramType {
    UNSPEC(0), SOCKET_FILTER(1), KPROBE(2), SCHED_CLS(3), SCHED_ACT(4), TRACEPOINT(5), XDP(6), PERF_EVENT(7),
    CGROUP_SKB(8), CGROUP_SOCK(9), LWT_IN(10), LWT_OUT(11), LWT_XMIT(12), SOCK_OPS(13), SK_SKB(14),
    CGROUP_DEVICE(15), SK_MSG(16), RAW_TRACEPOINT(17), CGROUP_SOCK_ADDR(18), LWT_SEG6LOCAL(19), LIRC_MODE2(20),
    SK_REUSEPORT(21), FLOW_DISSECTOR(22), CGROUP_SYSCTL(23), RAW_TRACEPOINT_WRITABLE(24), CGROUP_SOCKOPT(25),
    TRACING(26), STRUCT_OPS(27), EXT(28), LSM(29), SK_LOOKUP(30), SYSCALL(31), NETFILTER(32);

    private final int value;

    ProgramType(int value) {
        this.value = value;
    }

    /** The kernel's number for this program type. */
    public int value() {
        return value;
    }

    /** The program type numbered {@code value}, if this library knows it (a newer kernel may report others). */
    public static java.util.Optional<ProgramType> find(int value) {
        for (ProgramType t : values()) if (t.value == value) return java.util.Optional.of(t);
        return java.util.Optional.empty();
    }

    /** The kernel's name in lower case, as libbpf and bpftool print it ({@code sched_cls}, {@code percpu_hash}); a number if unknown. */
    public static String nameOf(int value) {
        return find(value).map(t -> t.name().toLowerCase(java.util.Locale.ROOT)).orElse(Integer.toString(value));
    }

    public static ProgramType of(int value) {
        for (ProgramType t : values()) if (t.value == value) return t;
        throw new BpfException("unknown program type " + value);
    }
}
