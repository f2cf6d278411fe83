// Test producer for the ring buffer and perf buffer readers, built on packetlens_events.h so
// the same object runs over either channel (the test picks one before load). Driven with
// BPF_PROG_TEST_RUN: the "frame" is a struct ctl telling the program what to emit.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define PL_EVENT_MAX 64
#include "packetlens_events.h"

char LICENSE[] SEC("license") = "GPL";

PL_EVENTS(events, 4096);

/* Per-CPU sequence numbers: every event a CPU attempts takes the next one, delivered or not. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} seqs SEC(".maps");

#define PAYLOAD_BYTES 4096
/* Source of variable-size records: user space fills it with a pattern, the program stamps a header. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __uint(value_size, PAYLOAD_BYTES);
} payload SEC(".maps");

struct ctl {
    __u32 len;
    __u32 flags;
};
#define CTL_DISCARD_ODD 1

/* The fixed-size event, and the header stamped on variable-size ones. */
struct seq_event {
    __u64 seq;
    __u32 cpu;
    __u32 len;
    __u64 pad[2];
};

static __always_inline struct ctl *control(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ctl *c = data;
    if ((void *)(c + 1) > end)
        return 0;
    return c;
}

static __always_inline __u64 next_seq(void)
{
    __u32 zero = 0;
    __u64 *s = bpf_map_lookup_elem(&seqs, &zero);
    if (!s)
        return ~0ULL;
    return (*s)++;
}

/* One 32-byte event per run, reserved in place; odd sequence numbers discarded on request. */
SEC("xdp")
int emit_fixed(struct xdp_md *ctx)
{
    struct ctl *c = control(ctx);
    if (!c)
        return XDP_ABORTED;
    __u32 flags = c->flags;
    __u64 seq = next_seq();
    struct seq_event *e = pl_reserve(events, sizeof(*e));
    if (!e)
        return XDP_DROP;
    e->seq = seq;
    e->cpu = bpf_get_smp_processor_id();
    e->len = sizeof(*e);
    e->pad[0] = ~seq;
    e->pad[1] = seq * 3;
    if ((flags & CTL_DISCARD_ODD) && (seq & 1)) {
        pl_discard(events, e);
        return XDP_PASS;
    }
    pl_submit(ctx, events, e, sizeof(*e));
    return XDP_PASS;
}

/* One record of c->len bytes (up to 4096) per run, copied from the payload pattern. */
SEC("xdp")
int emit_sized(struct xdp_md *ctx)
{
    struct ctl *c = control(ctx);
    if (!c)
        return XDP_ABORTED;
    __u32 len = c->len;
    /* Bounded before any helper call: the compiler keeps len on the stack across the calls, and
     * older verifiers (6.1) do not carry a bound checked after the reload back to the stack slot. */
    if (len > PAYLOAD_BYTES)
        return XDP_ABORTED;
    __u32 zero = 0;
    __u64 seq = next_seq();
    __u8 *buf = bpf_map_lookup_elem(&payload, &zero);
    if (!buf)
        return XDP_ABORTED;
    struct seq_event *h = (void *)buf;
    h->seq = seq;
    h->cpu = bpf_get_smp_processor_id();
    h->len = len;
    if (pl_output(ctx, events, buf, len))
        return XDP_DROP;
    return XDP_PASS;
}
