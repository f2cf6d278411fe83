/* The capture filter: protocol, host, net (CIDR) and port terms held in maps, so a new
 * filter is new map entries, never a new program. User space (io.packetlens.programs.filter)
 * compiles a filter expression into these maps; keep the layouts in sync with FilterMaps.java.
 *
 * Semantics: terms of one kind are alternatives, kinds present must all match.
 *   kinds   bit set per kind present in the filter (PL_K_*); 0 = match everything
 *   family  ip / ip6                      -> cfg.families (PL_FAM_V4 | PL_FAM_V6)
 *   proto   tcp, udp, icmp, ...           -> filter_protos[proto] != 0
 *   address [src|dst] host A, net A/len   -> filter_addrs (LPM) value has PL_DIR_SRC/DST/ANY
 *   port    [src|dst] port P              -> filter_ports[P] value has PL_DIR_SRC/DST/ANY
 * A more specific LPM entry carries the direction bits of every shorter prefix covering it
 * (user space ORs them in), because an LPM lookup returns only the longest match. */
#ifndef PACKETLENS_FILTER_H
#define PACKETLENS_FILTER_H

#include "packetlens_parse.h"
#include <linux/tcp.h>
#include <linux/udp.h>

#define PL_K_FAMILY   (1 << 0)
#define PL_K_PROTO    (1 << 1)
#define PL_K_SRC_ADDR (1 << 2)
#define PL_K_DST_ADDR (1 << 3)
#define PL_K_ANY_ADDR (1 << 4)
#define PL_K_SRC_PORT (1 << 5)
#define PL_K_DST_PORT (1 << 6)
#define PL_K_ANY_PORT (1 << 7)

#define PL_FAM_V4 1
#define PL_FAM_V6 2

#define PL_DIR_SRC 1
#define PL_DIR_DST 2
#define PL_DIR_ANY 4

struct pl_filter_cfg {
    __u32 kinds;
    __u32 families;
    __u32 snaplen;     /* mirror mode: bytes copied per packet (capped at PL_SNAP_MAX) */
    __u32 reserved;
};

/* LPM key: prefixlen counts bits of data; data[0] is the family tag (4 or 6), so an IPv4
 * prefix never matches an IPv6 address. */
struct pl_addr_key {
    __u32 prefixlen;
    __u8 data[17];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_filter_cfg);
} filter_cfg SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u32);
} filter_protos SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 1024);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_addr_key);
    __type(value, __u32);
} filter_addrs SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u16);
    __type(value, __u32);
} filter_ports SEC(".maps");

static __always_inline __u32 pl_addr_dirs(__u8 family, const void *addr, __u32 len)
{
    struct pl_addr_key k = {};
    k.prefixlen = 8 + len * 8;
    k.data[0] = family;
    if (len == 4)
        __builtin_memcpy(&k.data[1], addr, 4);
    else
        __builtin_memcpy(&k.data[1], addr, 16);
    __u32 *v = bpf_map_lookup_elem(&filter_addrs, &k);
    return v ? *v : 0;
}

static __always_inline __u32 pl_port_dirs(__be16 port)
{
    __u16 p = bpf_ntohs(port);
    __u32 *v = bpf_map_lookup_elem(&filter_ports, &p);
    return v ? *v : 0;
}

static __always_inline int pl_dirs_ok(__u32 kinds, __u32 src, __u32 dst, __u32 k_src, __u32 k_dst, __u32 k_any)
{
    if ((kinds & k_src) && !(src & PL_DIR_SRC))
        return 0;
    if ((kinds & k_dst) && !(dst & PL_DIR_DST))
        return 0;
    if ((kinds & k_any) && !((src | dst) & PL_DIR_ANY))
        return 0;
    return 1;
}

/* Skips IPv6 extension headers (hop-by-hop, routing, destination options; up to 4).
 * Returns the upper-layer protocol, or 44 (fragment) for a fragment, which has ports
 * only in its first piece and so never matches a port term. */
static __always_inline __u8 pl_ipv6_upper(void *data, void *end, __u32 *off, __u8 next)
{
#pragma unroll
    for (int i = 0; i < 4; i++) {
        if (next != 0 && next != 43 && next != 60)
            break;
        __u8 *h = data + *off;
        if ((void *)(h + 2) > end)
            return 255;
        next = h[0];
        *off += (h[1] + 1) * 8;
    }
    return next;
}

/* Whether the frame matches the filter in the maps. */
static __always_inline int pl_filter_match(void *data, void *end, const struct pl_filter_cfg *cfg)
{
    __u32 kinds = cfg->kinds;
    if (!kinds)
        return 1;
    __u32 off = 0;
    __be16 eth = pl_eth_proto(data, end, &off);
    __u8 proto;
    __u32 fam;
    __u32 src = 0, dst = 0;
    int ports_ok = 1; /* a first fragment or unfragmented packet carries its ports */
    if (eth == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = data + off;
        if ((void *)(ip + 1) > end)
            return 0;
        fam = PL_FAM_V4;
        proto = ip->protocol;
        if (kinds & (PL_K_SRC_ADDR | PL_K_DST_ADDR | PL_K_ANY_ADDR)) {
            src = pl_addr_dirs(4, &ip->saddr, 4);
            dst = pl_addr_dirs(4, &ip->daddr, 4);
        }
        if (ip->frag_off & bpf_htons(0x1fff))
            ports_ok = 0;
        off += ip->ihl * 4;
    } else if (eth == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = data + off;
        if ((void *)(ip6 + 1) > end)
            return 0;
        fam = PL_FAM_V6;
        if (kinds & (PL_K_SRC_ADDR | PL_K_DST_ADDR | PL_K_ANY_ADDR)) {
            src = pl_addr_dirs(6, &ip6->saddr, 16);
            dst = pl_addr_dirs(6, &ip6->daddr, 16);
        }
        off += sizeof(*ip6);
        proto = pl_ipv6_upper(data, end, &off, ip6->nexthdr);
        if (proto == 44)
            ports_ok = 0;
    } else {
        return 0; /* every term is about IP */
    }
    if ((kinds & PL_K_FAMILY) && !(cfg->families & fam))
        return 0;
    if (kinds & PL_K_PROTO) {
        __u32 key = proto;
        __u32 *allowed = bpf_map_lookup_elem(&filter_protos, &key);
        if (!allowed || !*allowed)
            return 0;
    }
    if (!pl_dirs_ok(kinds, src, dst, PL_K_SRC_ADDR, PL_K_DST_ADDR, PL_K_ANY_ADDR))
        return 0;
    if (kinds & (PL_K_SRC_PORT | PL_K_DST_PORT | PL_K_ANY_PORT)) {
        if (!ports_ok || (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != 132 /* SCTP */))
            return 0;
        __be16 *ports = data + (off & 0xffff);
        if ((void *)(ports + 2) > end)
            return 0;
        if (!pl_dirs_ok(kinds, pl_port_dirs(ports[0]), pl_port_dirs(ports[1]), PL_K_SRC_PORT, PL_K_DST_PORT, PL_K_ANY_PORT))
            return 0;
    }
    return 1;
}

#endif
