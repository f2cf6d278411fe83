package io.packetlens.ebpf.events;

/** The kernel-to-user channel carrying a program's events. */
public enum ChannelKind {
    /** BPF_MAP_TYPE_RINGBUF (kernel 5.8+): one ring shared by all CPUs, reserve/submit in place. */
    RING_BUFFER,
    /** BPF_MAP_TYPE_PERF_EVENT_ARRAY: one perf ring per CPU, events copied in with bpf_perf_event_output. */
    PERF_BUFFER
}
