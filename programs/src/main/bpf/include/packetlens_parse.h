/* The one frame parser of packetlens's kernel programs: Ethernet, up to two VLAN tags
 * (802.1Q / 802.1ad), IPv4 (options, fragments), IPv6 (up to PL_IPV6_MAX_EXT extension
 * headers: hop-by-hop, routing, fragment, AH, destination options), and the ports of TCP,
 * UDP and SCTP or the type and code of ICMP / ICMPv6. Bounds-checked against the end of
 * the frame at every step, so the verifier accepts it at XDP and TC alike.
 *
 * Used whole by the flow program (packetlens_flow.h) and the capture filter
 * (packetlens_filter.h); the counter (xdp_count.bpf.c) uses its Ethernet and fixed-header
 * steps. io.packetlens.packet.PacketParser is the same parse in Java, step for step:
 * change one, change the other (FlowParserTest compares them frame by frame). */
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
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#define PL_IPPROTO_HOPOPTS  0
#define PL_IPPROTO_ROUTING  43
#define PL_IPPROTO_FRAGMENT 44
#define PL_IPPROTO_AH       51
#define PL_IPPROTO_DSTOPTS  60

/* IPv6 extension headers walked before giving up (PL_PARSE_EXT_LIMIT). */
#define PL_IPV6_MAX_EXT 8

/* How far the parse got. The flow program counts every result but PL_PARSE_OK as "other"
 * under this number (its enum pl_other_reason). */
enum pl_parse_result {
    PL_PARSE_OK = 0,        /* parsed to the end: the IP header and the transport header, if one is read */
    PL_PARSE_NOT_IP = 1,    /* neither IPv4 nor IPv6 after the VLAN tags */
    PL_PARSE_TRUNCATED = 2, /* the frame ends inside a header */
    PL_PARSE_MALFORMED = 3, /* IP version does not match the ethertype, or IPv4 ihl < 5 */
    PL_PARSE_EXT_LIMIT = 4, /* more than PL_IPV6_MAX_EXT IPv6 extension headers */
};

/* What the parser learned about one frame; a field it did not reach stays as the caller
 * set it (zero). */
struct pl_packet {
    __u8 src[16];     /* network order, IPv4 as ::ffff:a.b.c.d; set with family */
    __u8 dst[16];
    __u32 ip_len;     /* IP total length from the header (IPv6: 40 + payload length) */
    __u16 sport;      /* host order, TCP / UDP / SCTP */
    __u16 dport;      /* host order; ICMP and ICMPv6: type << 8 | code */
    __u16 vlan;       /* outermost VLAN id, 0 when untagged */
    __u16 ethertype;  /* host order, the last one read (after VLAN tags); 0 if the Ethernet header is cut */
    __u8 family;      /* 4 or 6 once the addresses are read */
    __u8 proto;       /* the transport protocol, once the parse reaches it (or a non-first fragment) */
    __u8 last_proto;  /* the last IP protocol or IPv6 next header read, 0 before the IP header */
    __u8 tcp_flags;   /* TCP: the flags byte */
    __u8 dscp;
    __u8 fragment;    /* 1 for an IP fragment (first, later or IPv6 atomic) */
    __u8 later_fragment; /* 1 for a fragment that is not the first: no transport header */
    __u8 frag_more;   /* the more-fragments flag (IPv4 MF, IPv6 M) */
    __u16 l3_off;     /* frame offset of the IP header, once the Ethernet and VLAN headers are read */
    __u16 l4_off;     /* frame offset of the transport header (of a later fragment: of its data) */
    __u16 frag_data_off; /* fragments: frame offset of the fragmentable part (IPv4: after the header,
                          * IPv6: after the fragment header) */
    __u16 frag_offset;   /* fragments: the fragment offset in bytes */
    __u16 pad;
    __u32 frag_id;    /* fragments: IPv4 identification, IPv6 fragment header identification */
};

struct pl_vlan_hdr {
    __be16 tci;
    __be16 encapsulated_proto;
};

struct pl_ext_hdr {
    __u8 nexthdr;
    __u8 len;
    __be16 frag_off; /* fragment header only */
    __be32 word;     /* fragment header: the identification */
};

/* Ethernet and up to two VLAN tags: sets ethertype and vlan in p and *off to the header
 * after the tags. hw_vlan is the VLAN id the device already took out of the frame (at TC: the
 * receive path takes the outer tag into skb metadata, on veth as on NICs with VLAN offload), or
 * -1. That tag counts towards the two, so a frame is parsed the same at TC as at XDP, where the
 * tag is still in the frame: three tags are "not IP" at both. Returns PL_PARSE_OK or
 * PL_PARSE_TRUNCATED. */
/* One VLAN tag at *off, if proto says one is there: the first tag read sets vlan (unless the
 * device's tag already did), proto becomes the encapsulated ethertype. 1 if a tag was read, 0 if
 * none, -1 if the frame ends inside it. */
static __always_inline int pl_vlan_tag(void *data, void *end, __u16 *proto, int *vlan, __u32 *off)
{
    if (*proto != ETH_P_8021Q && *proto != ETH_P_8021AD)
        return 0;
    struct pl_vlan_hdr *vh = data + *off;
    if ((void *)(vh + 1) > end)
        return -1;
    if (*vlan < 0)
        *vlan = bpf_ntohs(vh->tci) & 0x0fff;
    *proto = bpf_ntohs(vh->encapsulated_proto);
    *off += sizeof(*vh);
    return 1;
}

static __always_inline int pl_parse_eth(void *data, void *end, int hw_vlan, struct pl_packet *p, __u32 *off)
{
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return PL_PARSE_TRUNCATED;
    __u16 proto = bpf_ntohs(eth->h_proto);
    int vlan = hw_vlan;
    *off = sizeof(*eth);
    p->ethertype = proto;
    int r = pl_vlan_tag(data, end, &proto, &vlan, off);
    if (r > 0) {
        p->ethertype = proto;
        /* a second tag in the frame, unless the device's tag was the first of the two */
        if (hw_vlan < 0)
            r = pl_vlan_tag(data, end, &proto, &vlan, off);
        if (r > 0)
            p->ethertype = proto;
    }
    if (r < 0)
        return PL_PARSE_TRUNCATED;
    p->vlan = vlan < 0 ? 0 : vlan;
    return PL_PARSE_OK;
}

/* The fixed IPv4 / IPv6 header at off, or NULL when the frame ends inside it. */
static __always_inline struct iphdr *pl_ipv4_hdr(void *data, void *end, __u32 off)
{
    struct iphdr *ip = data + off;
    return (void *)(ip + 1) > end ? NULL : ip;
}

static __always_inline struct ipv6hdr *pl_ipv6_hdr(void *data, void *end, __u32 off)
{
    struct ipv6hdr *ip6 = data + off;
    return (void *)(ip6 + 1) > end ? NULL : ip6;
}

static __always_inline void pl_v4_mapped(__u8 *dst, __be32 addr)
{
    __u32 *w = (__u32 *)dst;
    w[0] = 0;
    w[1] = 0;
    w[2] = bpf_htonl(0xffff);
    w[3] = addr;
}

/* Ports (or ICMP type/code) and TCP flags of the transport header at off. A transport
 * header counts only when it is there whole (TCP 20, UDP 8, SCTP 12, ICMP 4 bytes). */
static __always_inline int pl_parse_l4(void *data, void *end, __u32 off, __u8 proto, __u8 icmp_proto,
                                       struct pl_packet *p)
{
    void *l4 = data + off;
    p->l4_off = off;
    p->proto = proto;
    p->last_proto = proto;
    if (proto == IPPROTO_TCP) {
        if (l4 + 20 > end)
            return PL_PARSE_TRUNCATED;
        p->sport = bpf_ntohs(*(__be16 *)l4);
        p->dport = bpf_ntohs(*(__be16 *)(l4 + 2));
        p->tcp_flags = *(__u8 *)(l4 + 13);
    } else if (proto == IPPROTO_UDP) {
        if (l4 + 8 > end)
            return PL_PARSE_TRUNCATED;
        p->sport = bpf_ntohs(*(__be16 *)l4);
        p->dport = bpf_ntohs(*(__be16 *)(l4 + 2));
    } else if (proto == IPPROTO_SCTP) {
        if (l4 + 12 > end)
            return PL_PARSE_TRUNCATED;
        p->sport = bpf_ntohs(*(__be16 *)l4);
        p->dport = bpf_ntohs(*(__be16 *)(l4 + 2));
    } else if (proto == icmp_proto) {
        if (l4 + 4 > end)
            return PL_PARSE_TRUNCATED;
        p->dport = (__u16)(*(__u8 *)l4) << 8 | *(__u8 *)(l4 + 1);
    }
    return PL_PARSE_OK;
}

static __always_inline int pl_parse_ipv4(void *data, void *end, __u32 off, struct pl_packet *p)
{
    struct iphdr *ip = pl_ipv4_hdr(data, end, off);
    if (!ip)
        return PL_PARSE_TRUNCATED;
    p->l3_off = off;
    if (ip->version != 4 || ip->ihl < 5)
        return PL_PARSE_MALFORMED;
    __u32 hlen = ip->ihl * 4;
    p->last_proto = ip->protocol;
    if ((void *)ip + hlen > end)
        return PL_PARSE_TRUNCATED;
    pl_v4_mapped(p->src, ip->saddr);
    pl_v4_mapped(p->dst, ip->daddr);
    p->family = 4;
    p->dscp = ip->tos >> 2;
    p->ip_len = bpf_ntohs(ip->tot_len);
    __u16 frag = bpf_ntohs(ip->frag_off);
    if (frag & 0x3fff) { /* MF or an offset: a fragment */
        p->fragment = 1;
        p->frag_more = (frag & 0x2000) ? 1 : 0;
        p->frag_offset = (frag & 0x1fff) * 8;
        p->frag_id = bpf_ntohs(ip->id);
        p->frag_data_off = off + hlen;
    }
    if (frag & 0x1fff) { /* not the first fragment: no transport header here */
        p->later_fragment = 1;
        p->proto = ip->protocol;
        p->l4_off = off + hlen;
        return PL_PARSE_OK;
    }
    return pl_parse_l4(data, end, off + hlen, ip->protocol, IPPROTO_ICMP, p);
}

static __always_inline int pl_is_ipv6_ext(__u8 nh)
{
    return nh == PL_IPPROTO_HOPOPTS || nh == PL_IPPROTO_ROUTING || nh == PL_IPPROTO_FRAGMENT
        || nh == PL_IPPROTO_AH || nh == PL_IPPROTO_DSTOPTS;
}

static __always_inline int pl_parse_ipv6(void *data, void *end, __u32 off, struct pl_packet *p)
{
    struct ipv6hdr *ip6 = pl_ipv6_hdr(data, end, off);
    if (!ip6)
        return PL_PARSE_TRUNCATED;
    p->l3_off = off;
    if (ip6->version != 6)
        return PL_PARSE_MALFORMED;
    __builtin_memcpy(p->src, &ip6->saddr, 16);
    __builtin_memcpy(p->dst, &ip6->daddr, 16);
    p->family = 6;
    p->ip_len = 40 + (__u32)bpf_ntohs(ip6->payload_len);
    p->dscp = (__u8)((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2;
    __u8 nh = ip6->nexthdr;
    off += sizeof(*ip6);
#pragma unroll
    for (int i = 0; i < PL_IPV6_MAX_EXT; i++) {
        if (!pl_is_ipv6_ext(nh))
            break;
        p->last_proto = nh;
        /* every extension header is at least 8 bytes; the walk reads no further */
        struct pl_ext_hdr *h = data + off;
        if ((void *)(h + 1) > end)
            return PL_PARSE_TRUNCATED;
        if (nh == PL_IPPROTO_FRAGMENT) {
            __u16 fo = bpf_ntohs(h->frag_off);
            p->fragment = 1;
            p->frag_more = fo & 1;
            p->frag_offset = fo & 0xfff8;
            p->frag_id = bpf_ntohl(h->word);
            p->frag_data_off = off + 8;
            if (fo & 0xfff8) { /* not the first fragment: no transport header */
                p->later_fragment = 1;
                p->proto = h->nexthdr;
                p->last_proto = h->nexthdr;
                p->l4_off = off + 8;
                return PL_PARSE_OK;
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
        p->last_proto = nh;
        return PL_PARSE_EXT_LIMIT;
    }
    return pl_parse_l4(data, end, off, nh, IPPROTO_ICMPV6, p);
}

/* Parses one frame between data and end into p, which the caller zeroes first. hw_vlan:
 * see pl_parse_eth. Returns a pl_parse_result; p holds whatever was read before the parse
 * stopped. */
static __always_inline int pl_parse(void *data, void *end, int hw_vlan, struct pl_packet *p)
{
    __u32 off = 0;
    if (pl_parse_eth(data, end, hw_vlan, p, &off) != PL_PARSE_OK)
        return PL_PARSE_TRUNCATED;
    if (p->ethertype == ETH_P_IP)
        return pl_parse_ipv4(data, end, off, p);
    if (p->ethertype == ETH_P_IPV6)
        return pl_parse_ipv6(data, end, off, p);
    return PL_PARSE_NOT_IP;
}

/* A debug line (packetlens_debug.h's PL_DEBUG, which a program that uses this includes) about a parsed
 * packet: fmt and its arguments, then the packet's addresses, ports and protocol, IPv4 dotted (from
 * the mapped address) and IPv6 in full (bpf_printk has %pI4 and %pI6 but no compressed %pI6c).
 * Tested on pl_debug first, so that with the switch off the verifier removes the family test too. */
#define PL_DEBUG_PACKET(pkt, fmt, args...)                                                            \
    do {                                                                                            \
        if (pl_debug) {                                                                             \
            if ((pkt)->family == 4)                                                                 \
                PL_DEBUG(fmt " %pI4:%u -> %pI4:%u proto %u", ##args, (pkt)->src + 12, (pkt)->sport, \
                         (pkt)->dst + 12, (pkt)->dport, (pkt)->proto);                              \
            else                                                                                    \
                PL_DEBUG(fmt " [%pI6]:%u -> [%pI6]:%u proto %u", ##args, (pkt)->src, (pkt)->sport,  \
                         (pkt)->dst, (pkt)->dport, (pkt)->proto);                                   \
        }                                                                                           \
    } while (0)

#endif
