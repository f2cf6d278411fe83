// Programs for the info, iteration, statistics and trace_pipe tests: one of each hook whose
// link the kernel describes differently (XDP, tcx, raw tracepoint, perf-event tracepoint,
// cgroup), and a bpf_printk whose marker Java sets, so a test can find its own line.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 marker = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} info_runs SEC(".maps"); /* [0] xdp, [1] tc, [2] tracing, [3] cgroup */

static __always_inline void count(__u32 slot)
{
    __u64 *v = bpf_map_lookup_elem(&info_runs, &slot);
    if (v)
        __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int info_xdp(struct xdp_md *ctx)
{
    count(0);
    return XDP_PASS;
}

SEC("xdp")
int info_printk(struct xdp_md *ctx)
{
    bpf_printk("pl-info marker %u", marker);
    return XDP_PASS;
}

SEC("tc")
int info_tc(struct __sk_buff *skb)
{
    count(1);
    return -1; /* TC_ACT_UNSPEC: tcx next */
}

SEC("raw_tp/kfree_skb")
int info_raw_tp(void *ctx)
{
    count(2);
    return 0;
}

SEC("tracepoint/skb/kfree_skb")
int info_tp(void *ctx)
{
    count(2);
    return 0;
}

SEC("cgroup_skb/ingress")
int info_cgroup(struct __sk_buff *skb)
{
    count(3);
    return 1;
}
