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
 * (user space ORs them in), because an LPM lookup returns only the longest match.
 *
 * Frames are read by the parser of packetlens_parse.h, the one the flow program uses:
 * the protocol is the one after the IPv6 extension headers (a later fragment's too), a
 * port term needs the whole transport header and never matches a later fragment, and a
 * frame whose IP addresses the parser did not reach (not IP, malformed, cut short)
 * matches no term. */
#ifndef PACKETLENS_FILTER_H
#define PACKETLENS_FILTER_H

#include "packetlens_parse.h"

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

static __always_inline __u32 pl_port_dirs(__u16 port)
{
    __u32 *v = bpf_map_lookup_elem(&filter_ports, &port);
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

/* Whether the frame matches the filter in the maps. */
static __always_inline int pl_filter_match(void *data, void *end, const struct pl_filter_cfg *cfg)
{
    __u32 kinds = cfg->kinds;
    if (!kinds)
        return 1;
    struct pl_packet p = {};
    int parsed = pl_parse(data, end, -1, &p);
    /* as in pl_flow_key: p goes to memory once instead of clang carrying its fields in
     * registers through every exit of the parser (a third fewer instructions) */
    asm volatile("" : : "r"(&p) : "memory");
    if (!p.family)
        return 0; /* every term is about IP */
    if ((kinds & PL_K_FAMILY) && !(cfg->families & (p.family == 4 ? PL_FAM_V4 : PL_FAM_V6)))
        return 0;
    if (kinds & PL_K_PROTO) {
        __u32 key = p.last_proto;
        __u32 *allowed = bpf_map_lookup_elem(&filter_protos, &key);
        if (!allowed || !*allowed)
            return 0;
    }
    if (kinds & (PL_K_SRC_ADDR | PL_K_DST_ADDR | PL_K_ANY_ADDR)) {
        __u32 src, dst;
        if (p.family == 4) {
            src = pl_addr_dirs(4, &p.src[12], 4);
            dst = pl_addr_dirs(4, &p.dst[12], 4);
        } else {
            src = pl_addr_dirs(6, p.src, 16);
            dst = pl_addr_dirs(6, p.dst, 16);
        }
        if (!pl_dirs_ok(kinds, src, dst, PL_K_SRC_ADDR, PL_K_DST_ADDR, PL_K_ANY_ADDR))
            return 0;
    }
    if (kinds & (PL_K_SRC_PORT | PL_K_DST_PORT | PL_K_ANY_PORT)) {
        if (parsed != PL_PARSE_OK || p.later_fragment
            || (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP && p.proto != IPPROTO_SCTP))
            return 0;
        if (!pl_dirs_ok(kinds, pl_port_dirs(p.sport), pl_port_dirs(p.dport), PL_K_SRC_PORT, PL_K_DST_PORT, PL_K_ANY_PORT))
            return 0;
    }
    return 1;
}

#endif
