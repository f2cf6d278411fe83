/* Flow key and flow record of packetlens's flow monitor (flow.bpf.c), and how a frame
 * parsed by packetlens_parse.h becomes one, shared by its XDP and TC entry points.
 *
 * The layouts below are mirrored byte for byte by io.packetlens.flow.FlowKey,
 * FlowRecord and OtherKey, and the parse by io.packetlens.flow.ReferenceParser:
 * change one, change the other (FlowParserTest compares them frame by frame). */
#ifndef PACKETLENS_FLOW_H
#define PACKETLENS_FLOW_H

#include "packetlens_parse.h"
#include "packetlens_tunnel.h"

#define PL_FLOW_INGRESS 0
#define PL_FLOW_EGRESS  1

/* Flow key, 52 bytes. Addresses in network order (IPv4 as ::ffff:a.b.c.d); ports,
 * VLAN id, ifindex and tunnel id in host order. ICMP and ICMPv6 carry type << 8 | code in
 * dport (NetFlow's convention), sport 0. Non-first fragments and protocols without ports
 * have both ports 0. vlan is the outermost VLAN id, 0 when untagged. A tunnelled packet's
 * key is its inner packet's, with the tunnel's type (enum pl_tunnel_type) and id (VXLAN
 * VNI, GRE key, else 0); the tunnel's own addresses are in the record. */
struct pl_flow_key {
    __u8 src[16];
    __u8 dst[16];
    __u16 sport;
    __u16 dport;
    __u16 vlan;
    __u8 proto;
    __u8 direction; /* PL_FLOW_INGRESS / PL_FLOW_EGRESS */
    __u32 ifindex;
    __u32 tunnel_id;
    __u8 tunnel;
    __u8 pad[3];
};

/* Flow record, 88 bytes. Times are bpf_ktime_get_ns() (CLOCK_MONOTONIC). bytes are
 * whole frames as the hook sees them (XDP: all buffers; TC: skb->len): IPFIX's
 * layer2OctetDeltaCount. ip_bytes, min_len and max_len are IP total lengths (IPv4
 * tot_len, IPv6 40 + payload_len): octetDeltaCount, minimum/maximumIpTotalLength.
 * tcp_flags is the OR of the flags byte of every segment. dscp is the first packet's.
 * fragments is 1 once any packet of the flow was an IP fragment. For a tunnelled flow the
 * IP fields are the inner packet's, bytes the whole outer frame's, and outer_src / outer_dst
 * the tunnel's addresses (as in the key; zero for a flow outside a tunnel), from the packet
 * that created the entry. */
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
    __u8 outer_src[16];
    __u8 outer_dst[16];
};

/* Bumped whenever pl_flow_key, pl_flow_stats, pl_other_key or pl_flow_exported change
 * meaning or layout: a pinned table written by another layout is refused, never misread
 * (io.packetlens.flow.FlowPins). */
#define PL_FLOW_LAYOUT 3

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

/* Why a frame is not a flow: it is counted under a pl_other_key instead. The parse
 * result itself, by number (io.packetlens.flow.OtherReason holds the same codes). */
enum pl_other_reason {
    PL_FLOW = PL_PARSE_OK,                   /* not "other": a flow-table entry */
    PL_OTHER_ETHERTYPE = PL_PARSE_NOT_IP,    /* neither IPv4 nor IPv6: counted by ethertype */
    PL_OTHER_TRUNCATED = PL_PARSE_TRUNCATED, /* the frame ends inside a header: ethertype and protocol reached */
    PL_OTHER_MALFORMED = PL_PARSE_MALFORMED, /* IP version does not match the ethertype, or IPv4 ihl < 5 */
    PL_OTHER_EXT_LIMIT = PL_PARSE_EXT_LIMIT, /* more than PL_IPV6_MAX_EXT IPv6 extension headers */
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

/* One parsed frame: the flow key it belongs to (for "other" frames, whatever the parse
 * filled in before it stopped) and what the parser read. */
struct pl_parsed {
    struct pl_flow_key key;
    struct pl_packet pkt;
    __u8 outer_src[16]; /* a tunnelled packet's outer addresses, else zero */
    __u8 outer_dst[16];
    __u64 now;          /* bpf_ktime_get_ns() of the packet, for the flow program's event functions */
};

/* Fills p->key from p->pkt once the parse is done (for "other" frames: with what the
 * parse read before it stopped). */
static __always_inline void pl_flow_key(struct pl_parsed *p)
{
    /* p goes to memory here, once: without the barrier clang keeps the parsed fields in
     * registers and writes the key on each of the parser's two dozen exits */
    asm volatile("" : : "r"(p) : "memory");
    __builtin_memcpy(p->key.src, p->pkt.src, 16);
    __builtin_memcpy(p->key.dst, p->pkt.dst, 16);
    p->key.sport = p->pkt.sport;
    p->key.dport = p->pkt.dport;
    p->key.vlan = p->pkt.vlan;
    p->key.proto = p->pkt.proto;
}

/* Makes a tunnelled packet's inner packet the flow: when the parse of the outer one (reason)
 * succeeded and it carries a tunnel the inner packet of which parses whole (pl_decap, into
 * the caller's scratch in), p->pkt becomes the inner packet, the key gets the tunnel, and
 * the outer addresses move to p->outer_*. Otherwise p is left as it was. */
static __always_inline void pl_flow_decap(void *data, void *end, struct pl_parsed *p, int type, struct pl_packet *in)
{
    __u32 id = 0;
    __builtin_memset(in, 0, sizeof(*in));
    if (pl_decap(data, end, &p->pkt, type, in, &id) != PL_PARSE_OK)
        return;
    __builtin_memcpy(p->outer_src, p->pkt.src, 16);
    __builtin_memcpy(p->outer_dst, p->pkt.dst, 16);
    p->pkt = *in;
    p->key.tunnel = type;
    p->key.tunnel_id = id;
}

#endif
