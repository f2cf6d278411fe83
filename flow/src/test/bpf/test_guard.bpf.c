// Stands in for the guard in the flow monitor's chain tests: a member of an interface's XDP
// chain (packetlens_chain.h) that drops UDP to one port and passes everything else on to the
// next slot, counting both outcomes for UDP frames so a test can compare them with what the
// flow program behind it counted.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "packetlens_chain.h"

char LICENSE[] SEC("license") = "GPL";

/* The UDP destination port to drop (IPv4 only is enough here); set from Java before load. */
const volatile __u16 drop_port = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} guard_verdicts SEC(".maps"); /* IPv4 UDP frames: [0] passed on, [1] dropped */

static __always_inline void count(__u32 slot)
{
    __u64 *v = bpf_map_lookup_elem(&guard_verdicts, &slot);
    if (v)
        __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int test_guard(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return PL_XDP_CHAIN_NEXT(ctx);
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
        return PL_XDP_CHAIN_NEXT(ctx);
    struct udphdr *udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > end)
        return PL_XDP_CHAIN_NEXT(ctx);
    if (bpf_ntohs(udp->dest) == drop_port) {
        count(1);
        return XDP_DROP;
    }
    count(0);
    return PL_XDP_CHAIN_NEXT(ctx);
}
