// XDP programs for the attach tests: drop (or abort on) UDP to one port, pass the rest,
// and count both outcomes so a test can compare them with what the traffic saw.
#include "udp_port.h"

char LICENSE[] SEC("license") = "GPL";

/* The UDP destination port to drop; set from Java before load. */
const volatile __u16 drop_port = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} xdp_verdicts SEC(".maps"); /* [0] passed, [1] dropped or aborted */

static __always_inline void count(__u32 slot)
{
    __u64 *v = bpf_map_lookup_elem(&xdp_verdicts, &slot);
    if (v)
        __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_drop_port(struct xdp_md *ctx)
{
    __u16 port = udp_dst_port((void *)(long)ctx->data, (void *)(long)ctx->data_end);
    if (port && port == drop_port) {
        count(1);
        return XDP_DROP;
    }
    count(0);
    return XDP_PASS;
}

/* Like xdp_drop_port but returns XDP_ABORTED, which fires the xdp:xdp_exception tracepoint. */
SEC("xdp")
int xdp_abort_port(struct xdp_md *ctx)
{
    __u16 port = udp_dst_port((void *)(long)ctx->data, (void *)(long)ctx->data_end);
    if (port && port == drop_port) {
        count(1);
        return XDP_ABORTED;
    }
    count(0);
    return XDP_PASS;
}

SEC("xdp")
int xdp_pass_all(struct xdp_md *ctx)
{
    return XDP_PASS;
}
