package io.packetlens.ebpf;

/** {@code enum bpf_attach_type} of linux/bpf.h: where a program attaches (also its expected attach type at load). */
public enum AttachType {
    CGROUP_INET_INGRESS(0), CGROUP_INET_EGRESS(1), CGROUP_INET_SOCK_CREATE(2), CGROUP_SOCK_OPS(3),
    SK_SKB_STREAM_PARSER(4), SK_SKB_STREAM_VERDICT(5), CGROUP_DEVICE(6), SK_MSG_VERDICT(7),
    CGROUP_INET4_BIND(8), CGROUP_INET6_BIND(9), CGROUP_INET4_CONNECT(10), CGROUP_INET6_CONNECT(11),
    FLOW_DISSECTOR(17), TRACE_RAW_TP(23), TRACE_FENTRY(24), TRACE_FEXIT(25), SK_LOOKUP(36), XDP(37),
    SK_SKB_VERDICT(38), PERF_EVENT(41), NETFILTER(45), TCX_INGRESS(46), TCX_EGRESS(47);

    private final int value;

    AttachType(int value) {
        this.value = value;
    }

    /** The kernel's number for this attach type. */
    public int value() {
        return value;
    }
}
