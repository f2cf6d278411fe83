// packetlens's first program: counts packets and bytes per protocol class at XDP and
// passes every packet on untouched. User space reads the per-CPU array and sums it.
#include "packetlens_parse.h"

char LICENSE[] SEC("license") = "GPL";

/* Keep in sync with io.packetlens.programs.PacketCounter.Protocol. */
enum pl_class {
    PL_IPV4_TCP, PL_IPV4_UDP, PL_IPV4_ICMP, PL_IPV4_OTHER,
    PL_IPV6_TCP, PL_IPV6_UDP, PL_IPV6_ICMP, PL_IPV6_OTHER,
    PL_ARP, PL_OTHER, PL_TRUNCATED, PL_NCLASSES
};

struct counter {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PL_NCLASSES);
    __type(key, __u32);
    __type(value, struct counter);
} counts SEC(".maps");

static __always_inline __u32 l4_class(__u8 proto, __u32 tcp, __u32 udp, __u32 icmp, __u8 icmp_proto, __u32 other)
{
    if (proto == IPPROTO_TCP)
        return tcp;
    if (proto == IPPROTO_UDP)
        return udp;
    if (proto == icmp_proto)
        return icmp;
    return other;
}

/* Classes by the IP header's own protocol field (IPv6: its next header, extension
 * headers not walked), after the Ethernet header and VLAN tags. */
static __always_inline __u32 classify(void *data, void *end)
{
    struct pl_packet p = {};
    __u32 off = 0;
    if (pl_parse_eth(data, end, -1, &p, &off) != PL_PARSE_OK)
        return PL_TRUNCATED;
    if (p.ethertype == ETH_P_ARP)
        return PL_ARP;
    if (p.ethertype == ETH_P_IP) {
        struct iphdr *ip = pl_ipv4_hdr(data, end, off);
        if (!ip)
            return PL_TRUNCATED;
        return l4_class(ip->protocol, PL_IPV4_TCP, PL_IPV4_UDP, PL_IPV4_ICMP, IPPROTO_ICMP, PL_IPV4_OTHER);
    }
    if (p.ethertype == ETH_P_IPV6) {
        struct ipv6hdr *ip6 = pl_ipv6_hdr(data, end, off);
        if (!ip6)
            return PL_TRUNCATED;
        return l4_class(ip6->nexthdr, PL_IPV6_TCP, PL_IPV6_UDP, PL_IPV6_ICMP, IPPROTO_ICMPV6, PL_IPV6_OTHER);
    }
    return PL_OTHER;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    __u32 key = classify(data, end);
    struct counter *c = bpf_map_lookup_elem(&counts, &key);
    if (c) {
        c->packets += 1;
        /* the whole frame, including fragments of multi-buffer frames (generic XDP
         * on large skbs), not just the linear part between data and data_end */
        c->bytes += bpf_xdp_get_buff_len(ctx);
    }
    return XDP_PASS;
}
