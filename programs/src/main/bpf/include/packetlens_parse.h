/* Shared header-parsing helpers for packetlens kernel programs. Bounds-checked against
 * data_end at every step so the verifier accepts them at XDP and TC alike. */
#ifndef PACKETLENS_PARSE_H
#define PACKETLENS_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

struct pl_vlan_hdr {
    __be16 tci;
    __be16 encapsulated_proto;
};

/* Skips up to two VLAN tags (802.1Q / 802.1ad). Returns the inner ethertype (network
 * order) and advances *off past the tags; returns 0 if the frame is truncated. */
static __always_inline __be16 pl_eth_proto(void *data, void *end, __u32 *off)
{
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return 0;
    __be16 proto = eth->h_proto;
    *off = sizeof(*eth);
#pragma unroll
    for (int i = 0; i < 2; i++) {
        if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
            break;
        struct pl_vlan_hdr *vh = data + *off;
        if ((void *)(vh + 1) > end)
            return 0;
        proto = vh->encapsulated_proto;
        *off += sizeof(*vh);
    }
    return proto;
}

#endif
