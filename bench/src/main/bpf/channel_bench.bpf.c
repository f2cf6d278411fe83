// Producer for the kernel-to-user channel benchmark: one record of a fixed size per run,
// through packetlens_events.h, so the same object feeds the ring buffer and the perf buffer
// readers (Java and libbpf alike). Driven by BPF_PROG_TEST_RUN with a repeat count; each record
// carries a per-CPU sequence number so the benchmark can check that nothing went missing
// uncounted.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define PL_EVENT_MAX 1024
#include "packetlens_events.h"

char LICENSE[] SEC("license") = "GPL";

PL_EVENTS(events, 64 * 1024 * 1024);

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} seqs SEC(".maps");

struct record_head {
    __u64 seq;
    __u32 cpu;
    __u32 size;
};

static __always_inline int produce(struct xdp_md *ctx, const __u32 size)
{
    __u32 zero = 0;
    __u64 *seq = bpf_map_lookup_elem(&seqs, &zero);
    if (!seq)
        return XDP_ABORTED;
    __u64 s = (*seq)++;
    struct record_head *r = pl_reserve(events, size);
    if (!r)
        return XDP_DROP;
    r->seq = s;
    r->cpu = bpf_get_smp_processor_id();
    r->size = size;
    pl_submit(ctx, events, r, size);
    return XDP_PASS;
}

SEC("xdp")
int produce_64(struct xdp_md *ctx)
{
    return produce(ctx, 64);
}

SEC("xdp")
int produce_256(struct xdp_md *ctx)
{
    return produce(ctx, 256);
}

SEC("xdp")
int produce_1k(struct xdp_md *ctx)
{
    return produce(ctx, 1024);
}
