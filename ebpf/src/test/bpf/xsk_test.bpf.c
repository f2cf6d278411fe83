// Test program for the AF_XDP tests: every IPv4 UDP frame goes to the AF_XDP socket of the
// queue it arrived on (XSKMAP keyed by queue id); everything else, and frames for a queue
// without a socket, pass to the stack.
#include "packetlens_parse.h"

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int xdp_to_xsk(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct pl_packet p = {};
    __u32 off = 0;
    if (pl_parse_eth(data, end, -1, &p, &off) != PL_PARSE_OK || p.ethertype != ETH_P_IP)
        return XDP_PASS;
    struct iphdr *ip = pl_ipv4_hdr(data, end, off);
    if (!ip || ip->protocol != IPPROTO_UDP)
        return XDP_PASS;
    return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}
