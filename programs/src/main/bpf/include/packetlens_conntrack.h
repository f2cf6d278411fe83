/* Connection table of packetlens's connection tracker (conntrack.bpf.c): key, entry, states and
 * counters. Mirrored byte for byte by io.packetlens.conntrack.ConntrackLayout: change one, change
 * the other (ConntrackLayoutTest checks the sizes against this object's BTF). */
#ifndef PACKETLENS_CONNTRACK_H
#define PACKETLENS_CONNTRACK_H

#include "packetlens_parse.h"
#include "packetlens_events.h"

/* Connection key, 40 bytes: the two endpoints in a fixed order (the lower address, then the lower
 * port, first), so both directions of a connection find the same entry without a second lookup.
 * Addresses in network order (IPv4 as ::ffff:a.b.c.d), ports in host order. ICMP echo: both ports
 * are the echo identifier; other ICMP: port[0] is type << 8 | code, port[1] 0. zone is the
 * outermost VLAN id (0 untagged), or the ifindex when the tracker is loaded with per-interface
 * zones: the same 5-tuple in two zones is two connections. */
struct pl_ct_key {
    __u8 addr[2][16];
    __u16 port[2];
    __u8 proto;
    __u8 reserved;
    __u16 zone;
};

/* States. TCP's are nf_conntrack's (enum tcp_conntrack, in its order, so the numbers are the
 * kernel's); UDP, ICMP and the rest use PL_CT_UNREPLIED until a packet comes back, then
 * PL_CT_REPLIED. */
enum pl_ct_state {
    PL_CT_TCP_NONE = 0,
    PL_CT_TCP_SYN_SENT = 1,
    PL_CT_TCP_SYN_RECV = 2,
    PL_CT_TCP_ESTABLISHED = 3,
    PL_CT_TCP_FIN_WAIT = 4,
    PL_CT_TCP_CLOSE_WAIT = 5,
    PL_CT_TCP_LAST_ACK = 6,
    PL_CT_TCP_TIME_WAIT = 7,
    PL_CT_TCP_CLOSE = 8,
    PL_CT_TCP_SYN_SENT2 = 9,
    PL_CT_UNREPLIED = 16,
    PL_CT_REPLIED = 17,
};

/* Entry flags. */
#define PL_CT_F_ORIG_HIGH  0x01 /* the originator is endpoint 1 of the key, not endpoint 0 */
#define PL_CT_F_MIDSTREAM  0x02 /* first seen mid-stream: a TCP connection open before the tracker */
#define PL_CT_F_SEEN_REPLY 0x04 /* a packet came back */
#define PL_CT_F_ASSURED    0x08 /* TCP: reached ESTABLISHED with a reply; others: replied */
#define PL_CT_F_RELATED    0x10 /* an ICMP error quoting this connection was seen */
#define PL_CT_F_CLOSED_RST 0x20 /* closed by a RST */
#define PL_CT_F_CLOSED_FIN 0x40 /* closed by FINs from both sides */

/* One direction of a connection: 0 is the originator's packets, 1 the replies. bytes are IP
 * bytes (IPv4 total length, IPv6 40 + payload length), as nf_conntrack accounts them. TCP:
 * next_seq is the sequence number after the highest byte this side sent (valid once
 * seq_valid); a packet whose data lies wholly below it is a retransmission, counted in TCP
 * segments as the sender's Tcp.RetransSegs counts them (a GSO packet is its gso_segs), one that
 * starts above it arrived out of order; zero_window counts advertisements of a zero window;
 * tcp_flags is the OR of the flags of the segments counted. */
struct pl_ct_dir {
    __u64 packets;
    __u64 bytes;
    __u32 next_seq;
    __u32 retransmits;
    __u32 out_of_order;
    __u32 zero_window;
    __u8 seq_valid;
    __u8 fin_seen;
    __u8 tcp_flags; /* TCP: the OR of the flags of every segment counted (IPFIX tcpControlBits) */
    __u8 reserved[5];
};

/* Connection entry, 136 bytes. Times are bpf_ktime_get_ns() (CLOCK_MONOTONIC). TCP handshake:
 * syn_ns is the originator's first SYN, synack_ns the reply's SYN-ACK, ack_ns the originator's
 * ACK that completed it; a time not seen is 0. The lock serialises packets of one connection on
 * different CPUs (state machine and sequence tracking); user space reads entries without it. */
struct pl_ct_entry {
    struct bpf_spin_lock lock;
    __u8 state;     /* enum pl_ct_state */
    __u8 flags;     /* PL_CT_F_* */
    __u16 ifindex;  /* where the first packet was seen */
    __u64 first_ns;
    __u64 last_ns;
    __u64 syn_ns;
    __u64 synack_ns;
    __u64 ack_ns;
    __u32 event_seq; /* events emitted for this connection so far: orders them per connection */
    __u32 reserved;
    struct pl_ct_dir dir[2];
};

/* Table-wide counters, per CPU, indexed by these. */
enum pl_ct_counter {
    PL_CT_CNT_PACKETS = 0,     /* IP packets seen */
    PL_CT_CNT_TRACKED = 1,     /* packets that updated a connection */
    PL_CT_CNT_CREATED = 2,     /* connections created */
    PL_CT_CNT_TABLE_FULL = 3,  /* new connections refused because the table was full: not tracked */
    PL_CT_CNT_INVALID = 4,     /* TCP segments the state machine refused (nf_conntrack's INVALID / IGNORE) */
    PL_CT_CNT_NO_CONN = 5,     /* packets that open nothing and belong to no connection (a lone SYN-ACK, an echo reply) */
    PL_CT_CNT_FRAGMENT = 6,    /* non-first IP fragments: no ports, not tracked */
    PL_CT_CNT_RELATED = 7,     /* ICMP errors quoting a tracked connection */
    PL_CT_CNT_NOT_IP = 8,      /* frames that are not IP, or cut short */
    PL_CT_CNT_RACE = 9,        /* a connection created by another CPU between lookup and insert (then used) */
    PL_CT_CNT_REOPENED = 10,   /* a SYN reopened a connection in TIME_WAIT or CLOSE, or one past its timeout */
    PL_CT_CNT_MAX = 11,
};

struct pl_ct_count {
    __u64 packets;
};

/* Event kinds. Each happens at most once in a connection's life (a reopened connection starts a new
 * one), which is the per-connection throttle: a busy connection makes three events, not one per
 * packet. Closing by timeout is reported by user space, which removes the entry. */
#define PL_CT_EV_NEW         1
#define PL_CT_EV_ESTABLISHED 2 /* TCP: reached ESTABLISHED; others: the first reply */
#define PL_CT_EV_CLOSED      3 /* TCP: TIME_WAIT after FINs both ways, or CLOSE after a RST */

/* One event, 88 bytes, over ct_events (ring buffer, or perf buffer on kernels without one). */
struct pl_ct_event {
    __u64 ts_ns;
    struct pl_ct_key key;
    __u8 kind;   /* PL_CT_EV_* */
    __u8 state;  /* the state after the packet */
    __u8 flags;  /* the entry's flags after it */
    __u8 reserved;
    __u32 seq;   /* the connection's event_seq for this event: 0, 1, 2 */
    __u64 packets[2];
    __u64 bytes[2];
};

/* What tracking made of one packet, for a caller that decides on it (the guard's state rules). */
enum pl_ct_verdict {
    PL_CT_V_UNTRACKED = 0, /* not IP, a later fragment, or the table was full */
    PL_CT_V_NEW = 1,       /* opened a connection, or belongs to one that has seen no reply yet */
    PL_CT_V_ESTABLISHED = 2, /* belongs to a connection that has seen packets both ways */
    PL_CT_V_RELATED = 3,   /* an ICMP error about a tracked connection */
    PL_CT_V_INVALID = 4,   /* opens nothing and belongs to nothing, or the TCP state machine refused it */
};

/* ---- the tables (one set per tracker; a program that consults the tracker shares them) ---- */

/* The connection table: a preallocated hash, not an LRU one, so that no connection ever leaves it
 * unseen. An LRU hash evicts without telling anyone, and, with its per-CPU free lists, before it
 * is full. Here a full table refuses the new connection (PL_CT_CNT_TABLE_FULL) and user space
 * removes expired ones (io.packetlens.conntrack.ConntrackSweeper). max_entries is set before load. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 262144);
    __type(key, struct pl_ct_key);
    __type(value, struct pl_ct_entry);
} ct_table SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PL_CT_CNT_MAX);
    __type(key, __u32);
    __type(value, struct pl_ct_count);
} ct_counters SEC(".maps");

PL_EVENTS(ct_events, 256 * 1024);

/* ---- configuration, fixed at load ---- */

/* 1: emit events into ct_events. 0 (the default): the verifier removes the event code. */
const volatile __u8 cfg_ct_events = 0;

/* 1: the zone is the interface (ifindex), 0: the outermost VLAN id. */
const volatile __u8 cfg_ct_zone_ifindex = 0;
/* Timeouts in ns, by slot (pl_ct_timeout_slot): an entry idle for longer is gone for the tracker,
 * whether or not the sweeper has removed it yet; 0 never expires. Set by user space
 * (io.packetlens.conntrack.ConntrackTimeouts). */
#define PL_CT_TIMEOUT_SLOTS 16
const volatile __u64 cfg_ct_timeout_ns[PL_CT_TIMEOUT_SLOTS] = {};

/* ---- tracking ---- */

/* The furthest transport header offset read: Ethernet, two tags, IPv6 and its extension headers
 * fit, and the bound lets the verifier prove the reads behind it. */
#define PL_CT_MAX_L4_OFF 1024

#define sNO PL_CT_TCP_NONE
#define sSS PL_CT_TCP_SYN_SENT
#define sSR PL_CT_TCP_SYN_RECV
#define sES PL_CT_TCP_ESTABLISHED
#define sFW PL_CT_TCP_FIN_WAIT
#define sCW PL_CT_TCP_CLOSE_WAIT
#define sLA PL_CT_TCP_LAST_ACK
#define sTW PL_CT_TCP_TIME_WAIT
#define sCL PL_CT_TCP_CLOSE
#define sS2 PL_CT_TCP_SYN_SENT2
#define sIV 10 /* invalid: the packet changes nothing and is not counted */
#define sIG 11 /* ignored: likewise */

/* nf_conntrack's TCP state table (nf_conntrack_proto_tcp.c), [direction][flags][old state], with
 * flags classified as it does: RST, else SYN (with or without ACK), else FIN, else ACK, else none. */
enum { PL_TCP_SYN = 0, PL_TCP_SYNACK = 1, PL_TCP_FIN = 2, PL_TCP_ACK = 3, PL_TCP_RST = 4, PL_TCP_NONE = 5 };
static const __u8 pl_ct_tcp_table[2][6][10] = {
    { /* original */
     /*          sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
     /*syn*/    {sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2},
     /*synack*/ {sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR},
     /*fin*/    {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
     /*ack*/    {sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV},
     /*rst*/    {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
     /*none*/   {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV}},
    { /* reply */
     /*          sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
     /*syn*/    {sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2},
     /*synack*/ {sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR},
     /*fin*/    {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
     /*ack*/    {sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG},
     /*rst*/    {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
     /*none*/   {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV}},
};

#define PL_TH_FIN 0x01
#define PL_TH_SYN 0x02
#define PL_TH_RST 0x04
#define PL_TH_ACK 0x10

static __always_inline __u32 pl_ct_tcp_index(__u8 flags)
{
    if (flags & PL_TH_RST)
        return PL_TCP_RST;
    if (flags & PL_TH_SYN)
        return (flags & PL_TH_ACK) ? PL_TCP_SYNACK : PL_TCP_SYN;
    if (flags & PL_TH_FIN)
        return PL_TCP_FIN;
    if (flags & PL_TH_ACK)
        return PL_TCP_ACK;
    return PL_TCP_NONE;
}

static __always_inline void pl_ct_count(__u32 counter)
{
    struct pl_ct_count *c = bpf_map_lookup_elem(&ct_counters, &counter);
    if (c)
        c->packets++;
}

/* What one packet contributes, gathered before the entry is locked. */
struct pl_ct_packet {
    struct pl_ct_key key;
    __u8 sender;      /* the key endpoint (0 or 1) that sent this packet */
    __u8 tcp_flags;
    __u8 icmp_error;  /* an ICMP error: key is the quoted packet's connection */
    __u8 may_open;    /* whether this packet may open a connection */
    __u16 window;     /* TCP window field */
    __u16 segs;       /* TCP segments this packet carries: a GSO packet at TC egress is several */
    __u32 seq;        /* TCP sequence number */
    __u32 seq_len;    /* TCP: payload bytes, plus one each for SYN and FIN */
    __u32 ip_len;
};

/* Endpoint order: the key holds the lower (address, port) first. 1 if (a, ap) sorts above (b, bp). */
static __always_inline int pl_ct_above(const __u8 *a, __u16 ap, const __u8 *b, __u16 bp)
{
    const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
    __u64 x0 = bpf_be64_to_cpu(x[0]), y0 = bpf_be64_to_cpu(y[0]);
    if (x0 != y0)
        return x0 > y0;
    __u64 x1 = bpf_be64_to_cpu(x[1]), y1 = bpf_be64_to_cpu(y[1]);
    if (x1 != y1)
        return x1 > y1;
    return ap > bp;
}

static __always_inline void pl_ct_endpoints(struct pl_ct_packet *c, const __u8 *src, __u16 sport, const __u8 *dst,
                                            __u16 dport)
{
    if (pl_ct_above(src, sport, dst, dport)) {
        __builtin_memcpy(c->key.addr[0], dst, 16);
        __builtin_memcpy(c->key.addr[1], src, 16);
        c->key.port[0] = dport;
        c->key.port[1] = sport;
        c->sender = 1;
    } else {
        __builtin_memcpy(c->key.addr[0], src, 16);
        __builtin_memcpy(c->key.addr[1], dst, 16);
        c->key.port[0] = sport;
        c->key.port[1] = dport;
        c->sender = 0;
    }
}

static __always_inline int pl_ct_icmp_is_error(__u8 proto, __u8 type)
{
    if (proto == IPPROTO_ICMP)
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    return type >= 1 && type <= 4; /* ICMPv6: unreachable, too big, time exceeded, parameter problem */
}

/* ICMP echo request / reply: the identifier is the connection's "port" at both ends. */
static __always_inline int pl_ct_icmp_echo(__u8 proto, __u8 type, int *request)
{
    if (proto == IPPROTO_ICMP) {
        *request = type == 8;
        return type == 8 || type == 0;
    }
    *request = type == 128;
    return type == 128 || type == 129;
}

/* The connection an ICMP error quotes: its IP header and the first 8 bytes after it, which hold
 * the ports. The quoted packet went the other way, so its source is this error's destination. */
static __always_inline int pl_ct_quoted(void *data, void *end, struct pl_packet *outer, struct pl_ct_packet *c)
{
    __u32 off = outer->l4_off + 8;
    struct pl_packet q = {};
    int r;
    if (outer->family == 4)
        r = pl_parse_ipv4(data, end, off, &q);
    else
        r = pl_parse_ipv6(data, end, off, &q);
    /* the quote may stop inside the transport header (TCP: 8 of its 20 bytes): read the ports alone */
    if (q.family == 0 || q.later_fragment || q.l4_off > PL_CT_MAX_L4_OFF)
        return -1;
    if (r != PL_PARSE_OK) {
        if (r != PL_PARSE_TRUNCATED || !q.l4_off)
            return -1;
        __u16 *ports = data + q.l4_off;
        if ((void *)(ports + 2) > end)
            return -1;
        q.proto = q.last_proto;
        q.sport = bpf_ntohs(ports[0]);
        q.dport = bpf_ntohs(ports[1]);
    }
    c->key.proto = q.proto;
    __u16 sport = q.sport, dport = q.dport;
    if (q.proto == IPPROTO_ICMP || q.proto == IPPROTO_ICMPV6) {
        int request;
        __u16 *w = data + q.l4_off;
        if ((void *)(w + 3) > end || !pl_ct_icmp_echo(q.proto, q.dport >> 8, &request))
            return -1;
        sport = dport = bpf_ntohs(w[2]);
    }
    pl_ct_endpoints(c, q.src, sport, q.dst, dport);
    return 0;
}

/* The key and what the packet carries. 0, or -1 for a packet the tracker does not follow. */
static __always_inline int pl_ct_classify(void *data, void *end, struct pl_packet *p, __u32 ifindex,
                                          struct pl_ct_packet *c)
{
    c->key.zone = cfg_ct_zone_ifindex ? (__u16)ifindex : p->vlan;
    c->key.proto = p->proto;
    c->ip_len = p->ip_len;
    c->may_open = 1;
    __u16 sport = p->sport, dport = p->dport;
    /* a bound the verifier can see: the parser never walks further than this */
    __u32 l4 = p->l4_off;
    if (l4 > PL_CT_MAX_L4_OFF)
        return -1;
    if (p->proto == IPPROTO_TCP) {
        __u8 *th = data + l4;
        if ((void *)(th + 20) > end)
            return -1;
        c->tcp_flags = th[13];
        c->seq = bpf_ntohl(*(__be32 *)(th + 4));
        c->window = bpf_ntohs(*(__be16 *)(th + 14));
        __u32 hdr = (__u32)(p->l4_off - p->l3_off) + (__u32)(th[12] >> 4) * 4;
        __u32 payload = p->ip_len > hdr ? p->ip_len - hdr : 0;
        c->seq_len = payload + ((c->tcp_flags & PL_TH_SYN) ? 1 : 0) + ((c->tcp_flags & PL_TH_FIN) ? 1 : 0);
        /* as nf_conntrack: a SYN, or a segment that is neither SYN-ACK, FIN nor RST (picked up mid-stream) */
        __u32 idx = pl_ct_tcp_index(c->tcp_flags);
        c->may_open = idx == PL_TCP_SYN || idx == PL_TCP_ACK;
    } else if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
        __u8 type = p->dport >> 8;
        int request;
        if (pl_ct_icmp_is_error(p->proto, type)) {
            c->icmp_error = 1;
            c->may_open = 0;
            return pl_ct_quoted(data, end, p, c);
        }
        if (pl_ct_icmp_echo(p->proto, type, &request)) {
            __u16 *w = data + l4;
            if ((void *)(w + 3) > end)
                return -1;
            sport = dport = bpf_ntohs(w[2]);
            c->may_open = request;
        } else {
            dport = 0; /* other ICMP: one pseudo-connection per type and code */
            sport = p->dport;
        }
    }
    pl_ct_endpoints(c, p->src, sport, p->dst, dport);
    return 0;
}

/* TCP: the state (0-9); UDP 10 unreplied, 11 replied; ICMP and ICMPv6 12, 13; any other protocol 14, 15. */
static __always_inline __u32 pl_ct_timeout_slot(__u8 proto, __u8 state)
{
    if (proto == IPPROTO_TCP)
        return state <= PL_CT_TCP_SYN_SENT2 ? state : PL_CT_TCP_CLOSE;
    __u32 replied = state == PL_CT_REPLIED;
    if (proto == IPPROTO_UDP)
        return 10 + replied;
    if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
        return 12 + replied;
    return 14 + replied;
}

static __always_inline int pl_ct_expired(struct pl_ct_entry *e, __u8 proto, __u64 now)
{
    __u32 slot = pl_ct_timeout_slot(proto, e->state);
    if (slot >= PL_CT_TIMEOUT_SLOTS)
        return 0;
    __u64 t = cfg_ct_timeout_ns[slot];
    /* signed: another CPU may have stamped a packet that arrived after this one's clock reading */
    return t && (__s64)(now - e->last_ns) > (__s64)t;
}

static __always_inline void pl_ct_init(struct pl_ct_entry *e, struct pl_ct_packet *c, __u32 ifindex, __u64 now)
{
    e->state = c->key.proto == IPPROTO_TCP ? PL_CT_TCP_NONE : PL_CT_UNREPLIED;
    e->flags = c->sender ? PL_CT_F_ORIG_HIGH : 0;
    e->ifindex = (__u16)ifindex;
    e->first_ns = now;
    e->last_ns = now;
    e->syn_ns = 0;
    e->synack_ns = 0;
    e->ack_ns = 0;
    e->event_seq = 0;
    __builtin_memset(e->dir, 0, sizeof(e->dir));
}

/* Sequence tracking of one direction: retransmissions, out-of-order segments, zero windows. */
static __always_inline void pl_ct_seq(struct pl_ct_dir *d, struct pl_ct_packet *c)
{
    if (c->window == 0 && !(c->tcp_flags & (PL_TH_RST | PL_TH_SYN)))
        d->zero_window++;
    if (!d->seq_valid) {
        d->next_seq = c->seq + c->seq_len;
        d->seq_valid = 1;
        return;
    }
    if (c->seq_len == 0)
        return;
    __u32 end = c->seq + c->seq_len;
    if ((__s32)(end - d->next_seq) <= 0)
        d->retransmits += c->segs;
    else if ((__s32)(c->seq - d->next_seq) > 0)
        d->out_of_order++;
    if ((__s32)(end - d->next_seq) > 0)
        d->next_seq = end;
}

/* The locked part: state machine and counters. Returns the verdict. */
static __always_inline int pl_ct_update(struct pl_ct_entry *e, struct pl_ct_packet *c, __u64 now)
{
    __u8 orig = (e->flags & PL_CT_F_ORIG_HIGH) ? 1 : 0;
    __u32 dir = c->sender == orig ? 0 : 1;
    __u8 old = e->state;
    if (c->key.proto == IPPROTO_TCP) {
        __u32 idx = pl_ct_tcp_index(c->tcp_flags);
        if (old > sS2 || idx > PL_TCP_NONE)
            return PL_CT_V_INVALID;
        /* the cell's index checked once more where the compiler cannot drop the check: in a large
         * caller (the guard) clang tests a copy of old and reads the table with the original,
         * whose bound the verifier then does not know */
        __u32 cell = dir * (6 * 10) + idx * 10 + old;
        asm volatile("" : "+r"(cell));
        if (cell >= sizeof(pl_ct_tcp_table))
            return PL_CT_V_INVALID;
        __u8 next = ((const __u8 *)pl_ct_tcp_table)[cell];
        if (next == sIV || next == sIG)
            return PL_CT_V_INVALID;
        if (old == sNO && next == sES)
            e->flags |= PL_CT_F_MIDSTREAM;
        if (idx == PL_TCP_SYN && dir == 0 && !e->syn_ns)
            e->syn_ns = now;
        if (idx == PL_TCP_SYNACK && dir == 1 && old == sSS)
            e->synack_ns = now;
        if (old == sSR && next == sES && dir == 0) {
            e->ack_ns = now;
            e->flags |= PL_CT_F_ASSURED;
        }
        if (next == sCL && idx == PL_TCP_RST)
            e->flags |= PL_CT_F_CLOSED_RST;
        if (idx == PL_TCP_FIN)
            e->dir[dir].fin_seen = 1;
        if (next == sTW && e->dir[0].fin_seen && e->dir[1].fin_seen)
            e->flags |= PL_CT_F_CLOSED_FIN;
        e->state = next;
        if (dir == 1)
            e->flags |= PL_CT_F_SEEN_REPLY;
        if (next == sES && (e->flags & PL_CT_F_SEEN_REPLY))
            e->flags |= PL_CT_F_ASSURED;
        pl_ct_seq(&e->dir[dir], c);
    } else if (dir == 1) {
        e->state = PL_CT_REPLIED;
        e->flags |= PL_CT_F_SEEN_REPLY | PL_CT_F_ASSURED;
    }
    e->dir[dir].packets++;
    e->dir[dir].bytes += c->ip_len;
    if (c->key.proto == IPPROTO_TCP)
        e->dir[dir].tcp_flags |= c->tcp_flags;
    if ((__s64)(now - e->last_ns) > 0)
        e->last_ns = now; /* never backwards, for the same reason */
    return (e->flags & PL_CT_F_SEEN_REPLY) ? PL_CT_V_ESTABLISHED : PL_CT_V_NEW;
}

/* Whether the packet in c starts a new connection in e's place: e is past its timeout, or it is a
 * TCP connection that closed and a SYN reopens it. */
static __always_inline int pl_ct_renews(struct pl_ct_entry *e, struct pl_ct_packet *c, __u64 now)
{
    return pl_ct_expired(e, c->key.proto, now)
        || (c->key.proto == IPPROTO_TCP && pl_ct_tcp_index(c->tcp_flags) == PL_TCP_SYN
            && (e->state == PL_CT_TCP_TIME_WAIT || e->state == PL_CT_TCP_CLOSE));
}

/* First part of tracking: the packet's key and what it carries into c, for a packet that carries
 * segs TCP segments (1 unless it is a GSO packet). 0, or -1 for a packet the tracker does not
 * follow (counted: not IP, a later fragment). */
static __always_inline int pl_ct_prepare(void *data, void *end, struct pl_packet *p, int reason, __u32 ifindex, __u32 segs,
                                         struct pl_ct_packet *c)
{
    if (reason != PL_PARSE_OK || !p->family) {
        pl_ct_count(PL_CT_CNT_NOT_IP);
        return -1;
    }
    pl_ct_count(PL_CT_CNT_PACKETS);
    if (p->later_fragment) {
        pl_ct_count(PL_CT_CNT_FRAGMENT);
        return -1;
    }
    if (pl_ct_classify(data, end, p, ifindex, c) < 0) {
        pl_ct_count(PL_CT_CNT_NOT_IP);
        return -1;
    }
    c->segs = segs > 0 && segs < 0xffff ? segs : 1;
    return 0;
}

/* What the packet in c is to the tracker, changing nothing: for a caller that decides before the
 * packet counts (the guard tracks only what it lets through, as nf_conntrack confirms a connection
 * only once its first packet is accepted). e is the entry of c's key, or NULL. A reply is
 * ESTABLISHED, as nf_conntrack's ctinfo makes it; the TCP state machine's refusals are not
 * foreseen (pl_ct_commit counts them as invalid). */
static __always_inline int pl_ct_peek(struct pl_ct_packet *c, struct pl_ct_entry *e, __u64 now)
{
    if (c->icmp_error)
        return e ? PL_CT_V_RELATED : PL_CT_V_INVALID;
    if (!e || pl_ct_renews(e, c, now))
        return c->may_open ? PL_CT_V_NEW : PL_CT_V_INVALID;
    __u8 orig = (e->flags & PL_CT_F_ORIG_HIGH) ? 1 : 0;
    if (c->sender != orig || (e->flags & PL_CT_F_SEEN_REPLY))
        return PL_CT_V_ESTABLISHED;
    return PL_CT_V_NEW;
}

/* Second part: the packet in c counted into its connection, which it opens if there is none (e
 * is the entry of c's key as looked up, or NULL). Returns an enum pl_ct_verdict. */
static __always_inline int pl_ct_commit(void *ctx, struct pl_ct_packet *c, struct pl_ct_entry *e, __u32 ifindex, __u64 now)
{
    if (c->icmp_error) {
        if (!e) {
            pl_ct_count(PL_CT_CNT_NO_CONN);
            return PL_CT_V_INVALID;
        }
        bpf_spin_lock(&e->lock);
        e->flags |= PL_CT_F_RELATED;
        bpf_spin_unlock(&e->lock);
        pl_ct_count(PL_CT_CNT_RELATED);
        return PL_CT_V_RELATED;
    }
    if (!e) {
        if (!c->may_open) {
            pl_ct_count(PL_CT_CNT_NO_CONN);
            return PL_CT_V_INVALID;
        }
        struct pl_ct_entry fresh = {};
        pl_ct_init(&fresh, c, ifindex, now);
        long err = bpf_map_update_elem(&ct_table, &c->key, &fresh, BPF_NOEXIST);
        if (err == 0) {
            pl_ct_count(PL_CT_CNT_CREATED);
        } else if (err == -17 /* EEXIST: another CPU made it first */) {
            pl_ct_count(PL_CT_CNT_RACE);
        } else {
            pl_ct_count(PL_CT_CNT_TABLE_FULL);
            return PL_CT_V_UNTRACKED;
        }
        e = bpf_map_lookup_elem(&ct_table, &c->key);
        if (!e) {
            pl_ct_count(PL_CT_CNT_TABLE_FULL); /* removed again at once by the sweeper */
            return PL_CT_V_UNTRACKED;
        }
    }
    bpf_spin_lock(&e->lock);
    int renew = pl_ct_renews(e, c, now);
    if (renew && c->may_open)
        pl_ct_init(e, c, ifindex, now);
    __u8 flags_before = e->flags;
    int v = (renew && !c->may_open) ? PL_CT_V_INVALID : pl_ct_update(e, c, now);
    struct pl_ct_event ev;
    ev.kind = 0;
    if (cfg_ct_events && v != PL_CT_V_INVALID) {
        __u8 gained = e->flags & ~flags_before;
        if (e->event_seq == 0)
            ev.kind = PL_CT_EV_NEW;
        else if (gained & (PL_CT_F_CLOSED_FIN | PL_CT_F_CLOSED_RST))
            ev.kind = PL_CT_EV_CLOSED;
        else if (gained & PL_CT_F_ASSURED)
            ev.kind = PL_CT_EV_ESTABLISHED;
        if (ev.kind) {
            ev.ts_ns = now;
            __builtin_memcpy(&ev.key, &c->key, sizeof(ev.key));
            ev.state = e->state;
            ev.flags = e->flags;
            ev.reserved = 0;
            ev.seq = e->event_seq++;
            ev.packets[0] = e->dir[0].packets;
            ev.packets[1] = e->dir[1].packets;
            ev.bytes[0] = e->dir[0].bytes;
            ev.bytes[1] = e->dir[1].bytes;
        }
    }
    bpf_spin_unlock(&e->lock);
    if (ev.kind)
        pl_output(ctx, ct_events, &ev, sizeof(ev));
    if (renew && c->may_open)
        pl_ct_count(PL_CT_CNT_REOPENED);
    pl_ct_count(v == PL_CT_V_INVALID ? PL_CT_CNT_INVALID : PL_CT_CNT_TRACKED);
    return v;
}

/* Tracks one parsed packet (parse result in reason) that carries segs TCP segments (1 unless it
 * is a GSO packet): prepare, look up, commit. Returns an enum pl_ct_verdict. */
static __always_inline int pl_ct_track(void *ctx, void *data, void *end, struct pl_packet *p, int reason, __u32 ifindex,
                                       __u32 segs, __u64 now)
{
    struct pl_ct_packet c = {};
    if (pl_ct_prepare(data, end, p, reason, ifindex, segs, &c) < 0)
        return PL_CT_V_UNTRACKED;
    struct pl_ct_entry *e = bpf_map_lookup_elem(&ct_table, &c.key);
    return pl_ct_commit(ctx, &c, e, ifindex, now);
}

/* Headers a TC caller makes linear when the parser needs them. */
#define PL_CT_TC_PULL 256

/* Tracks one skb at TC (ingress or egress): parsed where it lies, made linear and parsed again
 * when its headers reach past the linear part. Returns an enum pl_ct_verdict. */
static __always_inline int pl_ct_track_skb(struct __sk_buff *skb)
{
    struct pl_packet p = {};
    __u64 now = bpf_ktime_get_ns();
    /* a tag the device took out of the frame (VLAN acceleration) is the outermost */
    int hw_vlan = skb->vlan_present ? (int)(skb->vlan_tci & 0x0fff) : -1;
    void *data = (void *)(long)skb->data;
    void *end = (void *)(long)skb->data_end;
    int reason = pl_parse(data, end, hw_vlan, &p);
    if ((reason == PL_PARSE_TRUNCATED || (reason == PL_PARSE_OK && p.proto == IPPROTO_TCP
                                          && data + p.l4_off + 20 > end))
        && end - data < skb->len) {
        /* headers beyond the linear part: make them linear (content unchanged), parse again */
        bpf_skb_pull_data(skb, skb->len < PL_CT_TC_PULL ? skb->len : PL_CT_TC_PULL);
        __builtin_memset(&p, 0, sizeof(p));
        data = (void *)(long)skb->data;
        end = (void *)(long)skb->data_end;
        reason = pl_parse(data, end, hw_vlan, &p);
    }
    /* TCP hands the device GSO packets even where the device segments them in software, after
     * this hook; a retransmitted one is gso_segs retransmitted segments to the sender's counters */
    return pl_ct_track(skb, data, end, &p, reason, skb->ifindex, skb->gso_segs, now);
}

#endif
