// bpf-cflags: -mcpu=v3
// packetlens's flow monitor: one parser and one accounting routine behind three entry
// points (XDP, TC ingress, TC egress). Every frame lands in exactly one place: a
// flow-table entry, an "other" counter (non-IP, truncated, malformed), or, when a table
// is full, the per-CPU overflow counters. Traffic is never dropped or changed.
// (-mcpu=v3 above: compare-and-swap and fetch-or for the shared flow table.)
#include "packetlens_flow.h"
#include "packetlens_events.h"
#include "packetlens_chain.h"
#include <linux/pkt_cls.h>
/* --debug-kernel: PL_DEBUG lines tagged "flow" (io.packetlens.ebpf.tracing.KernelDebugLog); with the
 * pl_debug switch off (the default) the verifier removes every one of them. */
#define PL_DEBUG_PROG "flow"
#include "packetlens_debug.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- configuration, fixed at load (.rodata: the verifier prunes what is off) ---- */

/* 1 when user space created flow_table as BPF_MAP_TYPE_PERCPU_HASH: plain adds then
 * suffice; 0 for a shared BPF_MAP_TYPE_HASH, updated with atomic instructions. */
const volatile __u8 cfg_percpu_table = 0;
/* Event kinds to emit through flow_events (PL_EV_*); 0 = none, the default. */
const volatile __u32 cfg_events = 0;
/* With PL_EV_SAMPLE: sample one packet in this many, at random. */
const volatile __u32 cfg_sample_every = 0;

/* 1: a tunnelled packet (packetlens_tunnel.h) is accounted as its inner packet, the default;
 * 0: as the outer one. */
const volatile __u8 cfg_decap = 1;
/* UDP destination ports that carry VXLAN; 0 ends the list. */
const volatile __u16 cfg_vxlan_ports[PL_VXLAN_PORTS] = { 4789 };

#define PL_EV_NEW_FLOW 1 /* first packet of a flow the table took */
#define PL_EV_TCP      2 /* TCP segments with SYN, FIN or RST */
#define PL_EV_SAMPLE   4 /* 1 in cfg_sample_every packets, with its first PL_SAMPLE_BYTES bytes */
#define PL_EV_OVERFLOW 8 /* a packet the flow table had no room for */

/* ---- maps ---- */

/* The flow table. max_entries and the type (HASH or PERCPU_HASH) are set by user space
 * before load (io.packetlens.flow.FlowProgram). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, struct pl_flow_key);
    __type(value, struct pl_flow_stats);
} flow_table SEC(".maps");

/* Frames that are not flows, by interface, direction, ethertype, protocol and reason. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 1024);
    __type(key, struct pl_other_key);
    __type(value, struct pl_count);
} flow_other SEC(".maps");

/* Loss and event counters, indexed by enum pl_counter. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PL_CNT_MAX);
    __type(key, __u32);
    __type(value, struct pl_count);
} flow_counters SEC(".maps");

/* Scratch for the inner packet of a tunnel: one more pl_packet does not fit the stack beside
 * the outer one. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_packet);
} flow_inner SEC(".maps");

/* The two maps below are only read and written by user space. They live in this object
 * so that they are created, sized and pinned with the tables they describe. */

/* What made the tables: checked before pinned tables are reused. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_flow_meta);
} flow_meta SEC(".maps");

/* Per flow still in flow_table: what has been reported of it (see pl_flow_exported).
 * Sized like flow_table when the tables are pinned, one entry otherwise. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, struct pl_flow_key);
    __type(value, struct pl_flow_exported);
} flow_exported SEC(".maps");

/* Event records (struct pl_flow_event), over a ring buffer or, on kernels without one
 * (before 5.8), a perf buffer: packetlens_events.h, chosen at load by
 * io.packetlens.ebpf.events.EventChannels. Declares flow_events and its per-CPU loss
 * counters flow_events_lost. User space shrinks the ring to one page when events are off. */
PL_EVENTS(flow_events, 256 * 1024);

static __always_inline void pl_count(__u32 slot, __u64 bytes)
{
    struct pl_count *c = bpf_map_lookup_elem(&flow_counters, &slot);
    if (c) {
        c->packets += 1;
        c->bytes += bytes;
    }
}

/* ---- EVENT HOOK ------------------------------------------------------------------
 * The one place where flow events leave the kernel (issue 3's channels plug in here).
 * Record layout, 72 bytes + cap_len bytes of packet for samples:
 *     0  u64 ts_ns        bpf_ktime_get_ns() of the packet
 *     8  pl_flow_key key  52 bytes (zero for "other" frames)
 *    60  u32 pkt_len      frame length
 *    64  u8  kind         PL_EVENT_*
 *    65  u8  tcp_flags    of this packet
 *    66  u16 cap_len      bytes of the frame that follow (PL_EVENT_SAMPLE only)
 *    68  u32 reserved
 *    72  u8  data[cap_len]
 * (io.packetlens.flow.FlowEvent mirrors it.) A record the channel has no room for is
 * counted in PL_CNT_EVENTS_LOST (and, by reason and CPU, in flow_events_lost), never
 * dropped silently; submitted ones in PL_CNT_EVENTS_SENT. Over a perf buffer the
 * record is staged in a per-CPU scratch value and copied out, hence the size limit
 * PL_EVENT_MAX (1024) of packetlens_events.h, well above 72 + PL_SAMPLE_BYTES. */
enum pl_event_kind {
    PL_EVENT_NEW_FLOW = 1,
    PL_EVENT_TCP = 2,
    PL_EVENT_SAMPLE = 3,
    PL_EVENT_OVERFLOW = 4,
};

#define PL_SAMPLE_BYTES 128

struct pl_flow_event {
    __u64 ts_ns;
    struct pl_flow_key key;
    __u32 pkt_len;
    __u8 kind;
    __u8 tcp_flags;
    __u16 cap_len;
    __u32 reserved;
    __u8 data[];
};

/* Hands a filled record to the channel and counts its fate in flow_counters. */
static __always_inline void pl_event_submit(void *ctx, void *ev, __u32 size)
{
    if (pl_submit(ctx, flow_events, ev, size)) {
        pl_count(PL_CNT_EVENTS_LOST, size); /* perf output refused (no room, no reader) */
        PL_DEBUG("event lost: the perf buffer refused %u bytes", size);
    } else
        pl_count(PL_CNT_EVENTS_SENT, size);
}

static __always_inline void pl_event(void *ctx, __u8 kind, struct pl_parsed *p, __u32 len, __u64 now)
{
    struct pl_flow_event *ev = pl_reserve(flow_events, sizeof(*ev));
    if (!ev) {
        pl_count(PL_CNT_EVENTS_LOST, sizeof(*ev));
        PL_DEBUG("event lost: no room in the ring for a kind %u event", kind);
        return;
    }
    ev->ts_ns = now;
    ev->key = p->key;
    ev->pkt_len = len;
    ev->kind = kind;
    ev->tcp_flags = p->pkt.tcp_flags;
    ev->cap_len = 0;
    ev->reserved = 0;
    pl_event_submit(ctx, ev, sizeof(*ev));
}

/* The sample event: the header plus the frame's first bytes, read with the hook's own
 * helper (the XDP and TC contexts differ). */
static __always_inline void pl_sample(void *ctx, int xdp, struct pl_parsed *p, __u32 len, __u64 now)
{
    const __u32 size = sizeof(struct pl_flow_event) + PL_SAMPLE_BYTES;
    struct pl_flow_event *ev = pl_reserve(flow_events, size);
    if (!ev) {
        pl_count(PL_CNT_EVENTS_LOST, size);
        PL_DEBUG("event lost: no room in the ring for a sample");
        return;
    }
    __u32 cap = len;
    /* the bound must be checked on the register the helper gets: without the barrier
     * clang may test a spilled 64-bit copy and the verifier loses the bound */
    asm volatile("" : "+r"(cap));
    if (cap > PL_SAMPLE_BYTES)
        cap = PL_SAMPLE_BYTES;
    long err = -1;
    if (cap > 0) {
        if (xdp)
            err = bpf_xdp_load_bytes(ctx, 0, ev->data, cap);
        else
            err = bpf_skb_load_bytes(ctx, 0, ev->data, cap);
    }
    ev->ts_ns = now;
    ev->key = p->key;
    ev->pkt_len = len;
    ev->kind = PL_EVENT_SAMPLE;
    ev->tcp_flags = p->pkt.tcp_flags;
    ev->cap_len = err ? 0 : cap;
    ev->reserved = 0;
    pl_event_submit(ctx, ev, size);
}

static __always_inline void pl_flow_events(void *ctx, int xdp, struct pl_parsed *p, int reason,
                                           int new_flow, int overflow, __u32 len, __u64 now)
{
    if (!cfg_events)
        return;
    if ((cfg_events & PL_EV_NEW_FLOW) && new_flow)
        pl_event(ctx, PL_EVENT_NEW_FLOW, p, len, now);
    if ((cfg_events & PL_EV_OVERFLOW) && overflow)
        pl_event(ctx, PL_EVENT_OVERFLOW, p, len, now);
    if ((cfg_events & PL_EV_TCP) && reason == PL_FLOW && p->key.proto == IPPROTO_TCP
        && (p->pkt.tcp_flags & 0x07)) /* FIN, SYN or RST */
        pl_event(ctx, PL_EVENT_TCP, p, len, now);
    if ((cfg_events & PL_EV_SAMPLE) && cfg_sample_every && bpf_get_prandom_u32() % cfg_sample_every == 0)
        pl_sample(ctx, xdp, p, len, now);
}

/* The events of one packet, a global function per hook, verified once on its own: inlined after the
 * parse, the event code was verified again for every state the parser and the tunnel left, which with
 * every event on took the TC entry points past the verifier's million instructions. what is the parse
 * result, with PL_EVW_NEW and PL_EVW_OVERFLOW from the accounting. */
#define PL_EVW_NEW      0x100
#define PL_EVW_OVERFLOW 0x200

__noinline int pl_flow_events_xdp(struct xdp_md *ctx, struct pl_parsed *p, int what, __u32 len)
{
    if (!ctx || !p)
        return 0;
    pl_flow_events(ctx, 1, p, what & 0xff, what & PL_EVW_NEW, what & PL_EVW_OVERFLOW, len, p->now);
    return 0;
}

__noinline int pl_flow_events_tc(struct __sk_buff *skb, struct pl_parsed *p, int what, __u32 len)
{
    if (!skb || !p)
        return 0;
    pl_flow_events(skb, 0, p, what & 0xff, what & PL_EVW_NEW, what & PL_EVW_OVERFLOW, len, p->now);
    return 0;
}

static __always_inline int pl_flow_what(int reason, int r)
{
    return reason | (r > 0 ? PL_EVW_NEW : 0) | (r < 0 ? PL_EVW_OVERFLOW : 0);
}
/* ---- end of EVENT HOOK ---- */

/* ---- accounting ---- */

static __always_inline void pl_atomic_min(__u32 *v, __u32 x)
{
    __u32 cur = *(volatile __u32 *)v;
    for (int i = 0; i < 4; i++) { /* a bounded compare-and-swap retry */
        if (x >= cur)
            break;
        __u32 seen = __sync_val_compare_and_swap(v, cur, x);
        if (seen == cur)
            break;
        cur = seen;
    }
}

static __always_inline void pl_atomic_max(__u32 *v, __u32 x)
{
    __u32 cur = *(volatile __u32 *)v;
    for (int i = 0; i < 4; i++) { /* a bounded compare-and-swap retry */
        if (x <= cur)
            break;
        __u32 seen = __sync_val_compare_and_swap(v, cur, x);
        if (seen == cur)
            break;
        cur = seen;
    }
}

/* Adds one packet to an existing flow record. */
static __always_inline void pl_flow_add(struct pl_flow_stats *s, struct pl_parsed *p, __u32 len, __u64 now)
{
    __u32 ip_len = p->pkt.ip_len;
    if (cfg_percpu_table) {
        /* this CPU's own copy: no other writer. A slot of a flow that another CPU
         * created starts zeroed. */
        if (s->packets == 0) {
            s->first_ns = now;
            s->min_len = ip_len;
            s->dscp = p->pkt.dscp;
        } else if (ip_len < s->min_len) {
            s->min_len = ip_len;
        }
        s->packets += 1;
        s->bytes += len;
        s->ip_bytes += ip_len;
        if (ip_len > s->max_len)
            s->max_len = ip_len;
        s->tcp_flags |= p->pkt.tcp_flags;
    } else {
        __sync_fetch_and_add(&s->packets, 1);
        __sync_fetch_and_add(&s->bytes, len);
        __sync_fetch_and_add(&s->ip_bytes, ip_len);
        pl_atomic_min(&s->min_len, ip_len);
        pl_atomic_max(&s->max_len, ip_len);
        if ((s->tcp_flags | p->pkt.tcp_flags) != s->tcp_flags)
            __sync_fetch_and_or(&s->tcp_flags, p->pkt.tcp_flags);
    }
    if (p->pkt.fragment)
        s->fragments = 1;
    /* a plain store: racing CPUs write nearly the same time, any of them will do */
    s->last_ns = now;
}

/* Counts one frame where it belongs; returns 1 for a new flow, -1 when the flow table
 * had no room (counted in PL_CNT_TABLE_FULL), 0 otherwise. */
static __always_inline int pl_flow_account(struct pl_parsed *p, int reason, __u32 len, __u64 now)
{
    if (reason != PL_FLOW) {
        /* why a frame is not a flow: once per frame, but these are the frames being debugged */
        PL_DEBUG("not a flow: reason %d (1 not IP, 2 truncated, 3 malformed, 4 extension headers) ethertype 0x%04x proto %u len %u",
                 reason, p->pkt.ethertype, p->pkt.last_proto, len);
        struct pl_other_key ok = {
            .ifindex = p->key.ifindex,
            .ethertype = p->pkt.ethertype,
            .proto = p->pkt.last_proto,
            .reason = reason,
            .direction = p->key.direction,
        };
        struct pl_count *c = bpf_map_lookup_elem(&flow_other, &ok);
        if (!c) {
            struct pl_count first = { .packets = 1, .bytes = len };
            long err = bpf_map_update_elem(&flow_other, &ok, &first, BPF_NOEXIST);
            if (!err)
                return 0;
            c = bpf_map_lookup_elem(&flow_other, &ok); /* EEXIST: another CPU was first */
            if (!c) {
                pl_count(PL_CNT_OTHER_FULL, len);
                PL_DEBUG("other table full (err %ld): reason %d ethertype 0x%04x counted as other-full", err, reason, p->pkt.ethertype);
                return 0;
            }
        }
        c->packets += 1;
        c->bytes += len;
        return 0;
    }

    struct pl_flow_stats *s = bpf_map_lookup_elem(&flow_table, &p->key);
    if (!s) {
        struct pl_flow_stats first = {
            .packets = 1,
            .bytes = len,
            .first_ns = now,
            .last_ns = now,
            .min_len = p->pkt.ip_len,
            .max_len = p->pkt.ip_len,
            .tcp_flags = p->pkt.tcp_flags,
            .dscp = p->pkt.dscp,
            .fragments = p->pkt.fragment,
            .ip_bytes = p->pkt.ip_len,
        };
        __builtin_memcpy(first.outer_src, p->outer_src, 16);
        __builtin_memcpy(first.outer_dst, p->outer_dst, 16);
        long err = bpf_map_update_elem(&flow_table, &p->key, &first, BPF_NOEXIST);
        if (!err) {
            PL_DEBUG_PACKET(&p->pkt, "new flow");
            return 1;
        }
        /* EEXIST: another CPU inserted the flow meanwhile; anything else (E2BIG, ENOMEM)
         * means the table is full. If the entry is gone again (user space evicted it
         * between the two calls) the packet still counts, as overflow. */
        s = err == -17 /* EEXIST */ ? bpf_map_lookup_elem(&flow_table, &p->key) : 0;
        if (!s) {
            pl_count(PL_CNT_TABLE_FULL, len);
            PL_DEBUG_PACKET(&p->pkt, "flow table full (err %ld), counted as overflow:", err);
            return -1;
        }
    }
    pl_flow_add(s, p, len, now);
    return 0;
}

/* ---- tunnels ----
 * The inner packet's parse is a global function per hook, verified once on its own: inlined,
 * the second parse multiplied the states of the first (flow_xdp went from about 100k to over
 * 800k instructions verified) and overflowed the 512-byte stack. The caller only tests whether
 * the outer packet can carry a tunnel, so that other traffic pays no call. */

static __always_inline int pl_flow_tunnel(struct pl_parsed *p, int reason)
{
    if (!cfg_decap || reason != PL_FLOW)
        return PL_TUNNEL_NONE;
    return pl_tunnel_candidate(&p->pkt, cfg_vxlan_ports);
}

static __always_inline struct pl_packet *pl_flow_scratch(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&flow_inner, &zero);
}

__noinline int pl_flow_decap_xdp(struct xdp_md *ctx, struct pl_parsed *p, int type)
{
    struct pl_packet *in = pl_flow_scratch();
    if (!ctx || !p || !in)
        return 0;
    pl_flow_decap((void *)(long)ctx->data, (void *)(long)ctx->data_end, p, type, in);
    return 0;
}

/* Headers the TC parser may need in the linear part of the skb. */
#define PL_TC_PULL 256

__noinline int pl_flow_decap_tc(struct __sk_buff *skb, struct pl_parsed *p, int type, __u32 len)
{
    struct pl_packet *in = pl_flow_scratch();
    if (!skb || !p || !in)
        return 0;
    __u32 want = len < PL_TC_PULL ? len : PL_TC_PULL;
    if (skb->data_end - skb->data < want) /* inner headers beyond the linear part: make them linear */
        bpf_skb_pull_data(skb, want);
    pl_flow_decap((void *)(long)skb->data, (void *)(long)skb->data_end, p, type, in);
    return 0;
}

/* ---- entry points ---- */

SEC("xdp")
int flow_xdp(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct pl_parsed p = {};
    p.key.ifindex = ctx->ingress_ifindex;
    p.key.direction = PL_FLOW_INGRESS;
    /* the whole frame, multi-buffer fragments included, as xdp_count does */
    __u32 len = bpf_xdp_get_buff_len(ctx);
    __u64 now = bpf_ktime_get_ns();
    int reason = pl_parse(data, end, -1, &p.pkt);
    int tunnel = pl_flow_tunnel(&p, reason);
    if (tunnel)
        pl_flow_decap_xdp(ctx, &p, tunnel);
    pl_flow_key(&p);
    int r = pl_flow_account(&p, reason, len, now);
    if (cfg_events) {
        p.now = now;
        pl_flow_events_xdp(ctx, &p, pl_flow_what(reason, r), len);
    }
    /* XDP_PASS, or, in a slot of an interface's XDP chain (io.packetlens.ebpf.link.XdpChain),
     * on to the next member: the verdict stays the chain's. Loaded outside a chain (the slot
     * constant unset) the verifier drops the tail calls and this is XDP_PASS. */
    return PL_XDP_CHAIN_NEXT(ctx);
}

/* The parse at TC, as a global function: the verifier checks it once, on its own, and the entry
 * points after it see only its result. Inlined (twice: again after a pull), every way it can end
 * with the tag from skb metadata unknown to the verifier went through the rest of the program
 * again: each TC entry point took 0.40 s to verify against 0.09 s for the XDP one, whose tag
 * argument is the constant -1. */
__noinline int pl_flow_parse_tc(struct __sk_buff *skb, int hw_vlan, struct pl_packet *pkt)
{
    if (!skb || !pkt)
        return PL_OTHER_TRUNCATED;
    return pl_parse((void *)(long)skb->data, (void *)(long)skb->data_end, hw_vlan, pkt);
}

static __always_inline int pl_flow_tc(struct __sk_buff *skb, __u8 direction)
{
    struct pl_parsed p = {};
    p.key.ifindex = skb->ifindex;
    p.key.direction = direction;
    /* the frame as it was on the wire: with the tag the receive path moved into skb metadata,
     * as XDP counts it */
    __u32 len = skb->len + (skb->vlan_present ? 4 : 0);
    __u64 now = bpf_ktime_get_ns();
    /* a tag the device took out of the frame (VLAN acceleration) is the outermost */
    int hw_vlan = skb->vlan_present ? (int)(skb->vlan_tci & 0x0fff) : -1;
    int reason = pl_flow_parse_tc(skb, hw_vlan, &p.pkt);
    if (reason == PL_OTHER_TRUNCATED && (long)skb->data_end - (long)skb->data < len) {
        /* headers beyond the linear part: make them linear (content unchanged), parse again */
        bpf_skb_pull_data(skb, len < PL_TC_PULL ? len : PL_TC_PULL);
        __builtin_memset(&p, 0, sizeof(p));
        p.key.ifindex = skb->ifindex;
        p.key.direction = direction;
        reason = pl_flow_parse_tc(skb, hw_vlan, &p.pkt);
    }
    int tunnel = pl_flow_tunnel(&p, reason);
    if (tunnel)
        pl_flow_decap_tc(skb, &p, tunnel, len);
    pl_flow_key(&p);
    int r = pl_flow_account(&p, reason, len, now);
    if (cfg_events) {
        p.now = now;
        pl_flow_events_tc(skb, &p, pl_flow_what(reason, r), len);
    }
    /* TC_ACT_UNSPEC (= TCX_NEXT): let the packet go on to whatever runs after us,
     * unlike TC_ACT_OK (= TCX_PASS), which would skip the programs behind this one */
    return TC_ACT_UNSPEC;
}

SEC("tc")
int flow_tc_ingress(struct __sk_buff *skb)
{
    return pl_flow_tc(skb, PL_FLOW_INGRESS);
}

SEC("tc")
int flow_tc_egress(struct __sk_buff *skb)
{
    return pl_flow_tc(skb, PL_FLOW_EGRESS);
}
