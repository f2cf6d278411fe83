package io.packetlens.ebpf.info;

import java.util.Locale;
import java.util.Optional;

/** {@code enum bpf_link_type} of linux/bpf.h (up to Linux 6.18): what kind of attachment a BPF link is. */
public enum LinkType {
    UNSPEC(0), RAW_TRACEPOINT(1), TRACING(2), CGROUP(3), ITER(4), NETNS(5), XDP(6), PERF_EVENT(7), KPROBE_MULTI(8),
    STRUCT_OPS(9), NETFILTER(10), TCX(11), UPROBE_MULTI(12), NETKIT(13), SOCKMAP(14);

    private final int value;

    LinkType(int value) {
        this.value = value;
    }

    /** The kernel's number for this link type. */
    public int value() {
        return value;
    }

    public static Optional<LinkType> find(int value) {
        for (LinkType t : values()) if (t.value == value) return Optional.of(t);
        return Optional.empty();
    }

    /** The kernel's name in lower case, as bpftool prints it ({@code xdp}, {@code tcx}); a number if unknown. */
    public static String nameOf(int value) {
        return find(value).map(t -> t.name().toLowerCase(Locale.ROOT)).orElse(Integer.toString(value));
    }
}
