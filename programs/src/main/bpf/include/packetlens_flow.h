/* Flow key, flow record and the one frame parser of packetlens's flow monitor
 * (flow.bpf.c), shared by its XDP and TC entry points.
 *
 * The layouts below are mirrored byte for byte by io.packetlens.flow.FlowKey,
 * FlowRecord and OtherKey, and the parser by io.packetlens.flow.ReferenceParser:
 * change one, change the other (FlowParserTest compares them frame by frame). */
#ifndef PACKETLENS_FLOW_H
#define PACKETLENS_FLOW_H

#include "packetlens_parse.h"

#define PL_FLOW_INGRESS 0
#define PL_FLOW_EGRESS  1

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#define PL_IPPROTO_HOPOPTS  0
#define PL_IPPROTO_ROUTING  43
#define PL_IPPROTO_FRAGMENT 44
#define PL_IPPROTO_AH       51
#define PL_IPPROTO_DSTOPTS  60

/* IPv6 extension headers walked before giving up (counted as PL_OTHER_EXT_LIMIT). */
#define PL_IPV6_MAX_EXT 8

/* Flow key, 44 bytes. Addresses in network order (IPv4 as ::ffff:a.b.c.d); ports,
 * VLAN id and ifindex in host order. ICMP and ICMPv6 carry type << 8 | code in dport
 * (NetFlow's convention), sport 0. Non-first fragments and protocols without ports
 * have both ports 0. vlan is the outermost VLAN id, 0 when untagged. */
struct pl_flow_key {
    __u8 src[16];
    __u8 dst[16];
    __u16 sport;
    __u16 dport;
    __u16 vlan;
    __u8 proto;
    __u8 direction; /* PL_FLOW_INGRESS / PL_FLOW_EGRESS */
    __u32 ifindex;
};

/* Flow record, 56 bytes. Times are bpf_ktime_get_ns() (CLOCK_MONOTONIC). bytes are
 * whole frames as the hook sees them (XDP: all buffers; TC: skb->len): IPFIX's
 * layer2OctetDeltaCount. ip_bytes, min_len and max_len are IP total lengths (IPv4
 * tot_len, IPv6 40 + payload_len): octetDeltaCount, minimum/maximumIpTotalLength.
 * tcp_flags is the OR of the flags byte of every segment. dscp is the first packet's.
 * fragments is 1 once any packet of the flow was an IP fragment. */
struct pl_flow_stats {
    __u64 packets;
    __u64 bytes;
    __u64 first_ns;
    __u64 last_ns;
    __u32 min_len;
    __u32 max_len;
    __u32 tcp_flags;
    __u8 dscp;
    __u8 fragments;
    __u16 reserved;
    __u64 ip_bytes;
};

/* Bumped whenever pl_flow_key, pl_flow_stats, pl_other_key or pl_flow_exported change
 * meaning or layout: a pinned table written by another layout is refused, never misread
 * (io.packetlens.flow.FlowPins). */
#define PL_FLOW_LAYOUT 2

/* flow_meta's one value: what made the pinned tables. */
struct pl_flow_meta {
    __u32 magic;      /* 'PLFL' */
    __u32 layout;     /* PL_FLOW_LAYOUT */
    __u32 key_size;   /* sizeof(struct pl_flow_key) */
    __u32 value_size; /* sizeof(struct pl_flow_stats) */
};

/* flow_exported's value: what user space has already reported of a flow that is still in
 * the table (after an active-timeout record), so that a restarted agent carries on from
 * there instead of reporting it again. Written by user space only. */
struct pl_flow_exported {
    __u64 packets;
    __u64 bytes;
    __u64 ip_bytes;
    __u64 last_end_ns; /* last_ns of the last record reported */
};

/* Why a frame is not a flow: it is counted under a pl_other_key instead. */
enum pl_other_reason {
    PL_FLOW = 0,             /* not "other": a flow-table entry */
    PL_OTHER_ETHERTYPE = 1,  /* neither IPv4 nor IPv6: counted by ethertype */
    PL_OTHER_TRUNCATED = 2,  /* the frame ends inside a header: ethertype and protocol reached */
    PL_OTHER_MALFORMED = 3,  /* IP version does not match the ethertype, or IPv4 ihl < 5 */
    PL_OTHER_EXT_LIMIT = 4,  /* more than PL_IPV6_MAX_EXT IPv6 extension headers */
};

/* Key of the "other" counters, 12 bytes. ethertype is the last one read (after VLAN
 * tags; 0 if even the Ethernet header is cut); proto the last IP protocol or IPv6
 * next-header read, 0 before the IP header. */
struct pl_other_key {
    __u32 ifindex;
    __u16 ethertype;
    __u8 proto;
    __u8 reason;
    __u8 direction;
    __u8 pad[3];
};

struct pl_count {
    __u64 packets;
    __u64 bytes;
};

/* Slots of the per-CPU flow_counters array. */
enum pl_counter {
    PL_CNT_TABLE_FULL = 0,  /* packets of flows the flow table had no room for */
    PL_CNT_OTHER_FULL = 1,  /* "other" packets the other-counter table had no room for */
    PL_CNT_EVENTS_SENT = 2, /* event records submitted to the ring buffer */
    PL_CNT_EVENTS_LOST = 3, /* event records the ring buffer had no room for */
    PL_CNT_MAX
};

/* What the parser learned about one frame. */
struct pl_parsed {
    struct pl_flow_key key;
    __u32 tcp_flags;
    __u16 ethertype;
    __u8 dscp;
    __u8 fragment;
    __u8 other_proto; /* for "other" frames: see pl_other_key.proto */
    __u32 ip_len;     /* IP total length from the header (not what the frame holds) */
};

struct pl_ext_hdr {
    __u8 nexthdr;
    __u8 len;
    __be16 frag_off; /* fragment header only */
    __be32 word;
};

static __always_inline void pl_v4_mapped(__u8 *dst, __be32 addr)
{
    __u32 *w = (__u32 *)dst;
    w[0] = 0;
    w[1] = 0;
    w[2] = bpf_htonl(0xffff);
    w[3] = addr;
}

/* Ports (or ICMP type/code) and TCP flags of the transport header at off. */
static __always_inline int pl_parse_l4(void *data, void *end, __u32 off, __u8 proto, __u8 icmp_proto,
                                       struct pl_parsed *p)
{
    void *l4 = data + off;
    p->key.proto = proto;
    p->other_proto = proto;
    if (proto == IPPROTO_TCP) {
        if (l4 + 20 > end)
            return PL_OTHER_TRUNCATED;
        p->key.sport = bpf_ntohs(*(__be16 *)l4);
        p->key.dport = bpf_ntohs(*(__be16 *)(l4 + 2));
        p->tcp_flags = *(__u8 *)(l4 + 13);
    } else if (proto == IPPROTO_UDP) {
        if (l4 + 8 > end)
            return PL_OTHER_TRUNCATED;
        p->key.sport = bpf_ntohs(*(__be16 *)l4);
        p->key.dport = bpf_ntohs(*(__be16 *)(l4 + 2));
    } else if (proto == IPPROTO_SCTP) {
        if (l4 + 12 > end)
            return PL_OTHER_TRUNCATED;
        p->key.sport = bpf_ntohs(*(__be16 *)l4);
        p->key.dport = bpf_ntohs(*(__be16 *)(l4 + 2));
    } else if (proto == icmp_proto) {
        if (l4 + 4 > end)
            return PL_OTHER_TRUNCATED;
        p->key.dport = (__u16)(*(__u8 *)l4) << 8 | *(__u8 *)(l4 + 1);
    }
    return PL_FLOW;
}

static __always_inline int pl_parse_ipv4(void *data, void *end, __u32 off, struct pl_parsed *p)
{
    struct iphdr *ip = data + off;
    if ((void *)(ip + 1) > end)
        return PL_OTHER_TRUNCATED;
    if (ip->version != 4 || ip->ihl < 5)
        return PL_OTHER_MALFORMED;
    __u32 hlen = ip->ihl * 4;
    p->other_proto = ip->protocol;
    if ((void *)ip + hlen > end)
        return PL_OTHER_TRUNCATED;
    pl_v4_mapped(p->key.src, ip->saddr);
    pl_v4_mapped(p->key.dst, ip->daddr);
    p->dscp = ip->tos >> 2;
    p->ip_len = bpf_ntohs(ip->tot_len);
    __u16 frag = bpf_ntohs(ip->frag_off);
    if (frag & 0x3fff) /* MF or an offset: a fragment */
        p->fragment = 1;
    if (frag & 0x1fff) { /* not the first fragment: no transport header here */
        p->key.proto = ip->protocol;
        return PL_FLOW;
    }
    return pl_parse_l4(data, end, off + hlen, ip->protocol, IPPROTO_ICMP, p);
}

static __always_inline int pl_is_ipv6_ext(__u8 nh)
{
    return nh == PL_IPPROTO_HOPOPTS || nh == PL_IPPROTO_ROUTING || nh == PL_IPPROTO_FRAGMENT
        || nh == PL_IPPROTO_AH || nh == PL_IPPROTO_DSTOPTS;
}

static __always_inline int pl_parse_ipv6(void *data, void *end, __u32 off, struct pl_parsed *p)
{
    struct ipv6hdr *ip6 = data + off;
    if ((void *)(ip6 + 1) > end)
        return PL_OTHER_TRUNCATED;
    if (ip6->version != 6)
        return PL_OTHER_MALFORMED;
    __builtin_memcpy(p->key.src, &ip6->saddr, 16);
    __builtin_memcpy(p->key.dst, &ip6->daddr, 16);
    p->ip_len = 40 + (__u32)bpf_ntohs(ip6->payload_len);
    p->dscp = (__u8)((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2;
    __u8 nh = ip6->nexthdr;
    off += sizeof(*ip6);
#pragma unroll
    for (int i = 0; i < PL_IPV6_MAX_EXT; i++) {
        if (!pl_is_ipv6_ext(nh))
            break;
        p->other_proto = nh;
        /* every extension header is at least 8 bytes; the walk reads no further */
        struct pl_ext_hdr *h = data + off;
        if ((void *)(h + 1) > end)
            return PL_OTHER_TRUNCATED;
        if (nh == PL_IPPROTO_FRAGMENT) {
            p->fragment = 1;
            if (bpf_ntohs(h->frag_off) & 0xfff8) { /* not the first fragment: no transport header */
                p->key.proto = h->nexthdr;
                p->other_proto = h->nexthdr;
                return PL_FLOW;
            }
            off += 8;
        } else if (nh == PL_IPPROTO_AH) {
            off += ((__u32)h->len + 2) * 4;
        } else {
            off += ((__u32)h->len + 1) * 8;
        }
        nh = h->nexthdr;
    }
    if (pl_is_ipv6_ext(nh)) {
        p->other_proto = nh;
        return PL_OTHER_EXT_LIMIT;
    }
    return pl_parse_l4(data, end, off, nh, IPPROTO_ICMPV6, p);
}

/* Parses one frame between data and end into p (whose key.ifindex and key.direction
 * the caller sets). hw_vlan is the VLAN id the device already took out of the frame
 * (TC with VLAN acceleration), or -1. Returns PL_FLOW or a pl_other_reason. */
static __always_inline int pl_flow_parse(void *data, void *end, int hw_vlan, struct pl_parsed *p)
{
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return PL_OTHER_TRUNCATED;
    __u16 proto = bpf_ntohs(eth->h_proto);
    __u32 off = sizeof(*eth);
    int vlan = hw_vlan;
    p->ethertype = proto;
#pragma unroll
    for (int i = 0; i < 2; i++) {
        if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
            break;
        struct pl_vlan_hdr *vh = data + off;
        if ((void *)(vh + 1) > end)
            return PL_OTHER_TRUNCATED;
        if (vlan < 0)
            vlan = bpf_ntohs(vh->tci) & 0x0fff;
        proto = bpf_ntohs(vh->encapsulated_proto);
        p->ethertype = proto;
        off += sizeof(*vh);
    }
    p->key.vlan = vlan < 0 ? 0 : vlan;
    if (proto == ETH_P_IP)
        return pl_parse_ipv4(data, end, off, p);
    if (proto == ETH_P_IPV6)
        return pl_parse_ipv6(data, end, off, p);
    return PL_OTHER_ETHERTYPE;
}

#endif
