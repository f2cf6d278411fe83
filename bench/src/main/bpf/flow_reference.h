// What the flow benchmarks' reference programs share (flow_reference.bpf.c, flow_cache_reference.bpf.c):
// the least parse a flow counter at XDP can do, Ethernet, IPv4 and UDP or TCP ports, into a 5-tuple
// key. A header beside them, so that each still compiles on its own for iproute2 to attach.
#ifndef FLOW_REFERENCE_H
#define FLOW_REFERENCE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct ref_key {
    __u32 saddr, daddr;
    __u16 sport, dport;
    __u8 proto, pad[3];
};

/* The frame's key and length; 0 for an IPv4 frame with its ports (when it has them), -1 otherwise. */
static __always_inline int ref_parse(struct xdp_md *ctx, struct ref_key *k, __u64 *len)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return -1;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->ihl < 5)
        return -1;
    __builtin_memset(k, 0, sizeof(*k));
    k->saddr = ip->saddr;
    k->daddr = ip->daddr;
    k->proto = ip->protocol;
    if (ip->protocol == IPPROTO_UDP || ip->protocol == IPPROTO_TCP) {
        __u16 *ports = (void *)ip + ip->ihl * 4;
        if ((void *)(ports + 2) > end)
            return -1;
        k->sport = ports[0];
        k->dport = ports[1];
    }
    *len = end - data;
    return 0;
}

#endif
