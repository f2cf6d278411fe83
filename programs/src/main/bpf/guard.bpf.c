// bpf-cflags: -mcpu=v3
// packetlens guard: an XDP (and TC ingress) firewall and DDoS shield. Rules in priority order,
// first match wins (count rules count and go on), prefixes in LPM tries, fragments judged by
// their first fragment, token buckets per source or source prefix with bans, every drop counted
// by reason and by rule, 1-in-N drops sampled to user space, dry run, and whole rulesets
// swapped in one store (two slots; packetlens_guard.h). docs/GUARD.md explains the choices.
// (-mcpu=v3: compare-and-swap and fetch-add for the shared buckets and counters.)
#include "packetlens_parse.h"
#include "packetlens_guard.h"
#include "packetlens_events.h"
#include "packetlens_conntrack.h"
#include "packetlens_chain.h"
#include <linux/pkt_cls.h>
/* --debug-kernel: PL_DEBUG lines tagged "guard" (io.packetlens.ebpf.tracing.KernelDebugLog); with the
 * pl_debug switch off (the default) the verifier removes every one of them. */
#define PL_DEBUG_PROG "guard"
#include "packetlens_debug.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- configuration fixed at load (.rodata) ---- */

/* 1 when guard_buckets was created as PERCPU_HASH (each CPU its own bucket, plain stores); 0
 * for a shared HASH updated by compare-and-swap. docs/GUARD.md has the measurement. */
const volatile __u8 cfg_percpu_buckets = 0;
/* New buckets are created at most at this rate (GCRA on guard_insert): a flood of spoofed
 * sources cannot fill the table and push real ones out. 0: unbounded. */
const volatile __u64 cfg_insert_interval_ns = 0;
const volatile __u64 cfg_insert_window_ns = 0;
/* Sample one drop in this many to guard_events (0: none). */
const volatile __u32 cfg_sample_every = 0;

/* ---- maps ---- */

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_guard_active);
} guard_active SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct pl_guard_set);
} guard_sets SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2 * PL_GUARD_MAX_RULES);
    __type(key, __u32);
    __type(value, struct pl_guard_rule);
} guard_rules SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2 * PL_GUARD_MAX_LIMITS);
    __type(key, __u32);
    __type(value, struct pl_guard_limit);
} guard_limits SEC(".maps");

/* Source and destination prefixes of both slots; sized by user space from the rulesets. */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 1024);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_guard_lpm_key);
    __type(value, struct pl_guard_bits);
} guard_src SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 1024);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_guard_lpm_key);
    __type(value, struct pl_guard_bits);
} guard_dst SEC(".maps");

/* Per kernel rule of both slots: packets and bytes it matched. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2 * PL_GUARD_MAX_RULES);
    __type(key, __u32);
    __type(value, struct pl_guard_count);
} guard_rule_counts SEC(".maps");

/* Per slot and kernel rule: the rule of the file it came from (user space only). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2 * PL_GUARD_MAX_RULES);
    __type(key, __u32);
    __type(value, struct pl_guard_rule_name);
} guard_rule_names SEC(".maps");

/* Per slot: every packet the program handled while that slot was active. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct pl_guard_count);
} guard_slot_counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PL_GC_MAX);
    __type(key, __u32);
    __type(value, struct pl_guard_count);
} guard_counters SEC(".maps");

/* Datagrams being fragmented: not LRU, so that a flood of fragments cannot evict the verdicts
 * of real ones; a full table is the configured fail-closed / fail-open, counted. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 8192);
    __type(key, struct pl_guard_frag_key);
    __type(value, struct pl_guard_frag);
} guard_frags SEC(".maps");

/* Token buckets: not LRU either (see cfg_insert_interval_ns); user space expires idle ones. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, struct pl_guard_bucket_key);
    __type(value, struct pl_guard_bucket);
} guard_buckets SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} guard_insert SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 16384);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct pl_guard_ban_key);
    __type(value, struct pl_guard_ban);
} guard_bans SEC(".maps");

/* Dropped packets per source, for "top dropped sources": each CPU its own run of slots in one
 * plain array (index cpu << cfg_source_bits | hash; user space sizes it to the possible CPUs times
 * the slots). Not a PERCPU_ARRAY: its lookup loads the element's per-CPU pointer from a table of
 * its own before the element, two cache misses per drop under a spray of sources where this
 * array's lookup is one (measured, docs/BENCHMARKS.md Guard). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4096);
    __type(key, __u32);
    __type(value, struct pl_guard_source);
} guard_drop_sources SEC(".maps");

/* log2 of guard_drop_sources' slots per CPU (a power of two, set by user space). */
const volatile __u32 cfg_source_bits = 12;

PL_EVENTS(guard_events, 256 * 1024);

/* ---- helpers ---- */

static __always_inline void pl_guard_count(__u32 slot, __u64 bytes)
{
    struct pl_guard_count *c = bpf_map_lookup_elem(&guard_counters, &slot);
    if (c) {
        c->packets += 1;
        c->bytes += bytes;
    }
}

/* GCRA step on one arrival time: 1 when cost fits the window (and the time is advanced), 0
 * when it does not (nothing changes). Shared buckets advance by compare-and-swap, retried a
 * bounded number of times; a CPU that keeps losing lets the packet through (counted nowhere:
 * it needs four other CPUs to win against it within one update, each of them charging). */
static __noinline int pl_gcra(__u64 *tat, __u64 now, __u64 cost, __u64 window)
{
    if (!cost)
        return 1;
    if (cfg_percpu_buckets) {
        __u64 t = *tat > now ? *tat : now;
        if (t + cost - now > window)
            return 0;
        *tat = t + cost;
        return 1;
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
        __u64 old = *(volatile __u64 *)tat;
        __u64 t = old > now ? old : now;
        if (t + cost - now > window)
            return 0;
        if (__sync_val_compare_and_swap(tat, old, t + cost) == old)
            return 1;
    }
    return 1;
}

/* Whether another new bucket may be made now (the global insert rate). */
static __noinline int pl_insert_allowed(__u64 now)
{
    if (!cfg_insert_interval_ns)
        return 1;
    __u32 zero = 0;
    __u64 *tat = bpf_map_lookup_elem(&guard_insert, &zero);
    if (!tat)
        return 0;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        __u64 old = *(volatile __u64 *)tat;
        __u64 t = old > now ? old : now;
        if (t + cfg_insert_interval_ns - now > cfg_insert_window_ns)
            return 0;
        if (__sync_val_compare_and_swap(tat, old, t + cfg_insert_interval_ns) == old)
            return 1;
    }
    return 0;
}

/* The address as the tries store it: IPv4 in the first four bytes. */
static __always_inline void pl_guard_addr(__u8 *out, const __u8 *mapped, __u8 family)
{
    if (family == 4) {
        __builtin_memset(out, 0, 16);
        __builtin_memcpy(out, mapped + 12, 4);
    } else {
        __builtin_memcpy(out, mapped, 16);
    }
}

/* ORs into out the rules of every entry of l that holds the address (16 bytes, IPv4-mapped for
 * family 4): the in-place match of a direction with few prefixes (struct pl_guard_prefixes). */
static __always_inline void pl_list_match(struct pl_guard_prefixes *l, const __u8 *mapped, __u8 family, __u64 *out)
{
    /* entries past n are zero (they would match and add nothing): the count only saves work */
    if (family == 4) {
        __u32 a, n = l->n4;
        if (!n)
            return;
        __builtin_memcpy(&a, mapped + 12, 4);
#pragma unroll
        for (int i = 0; i < PL_GUARD_INLINE_PREFIXES; i++) {
            if (i < n) {
                __u32 net, mask;
                __builtin_memcpy(&net, l->v4[i].net, 4);
                __builtin_memcpy(&mask, l->v4[i].mask, 4);
                if ((a & mask) == net) {
#pragma unroll
                    for (int k = 0; k < PL_GUARD_WORDS; k++)
                        out[k] |= l->v4[i].w[k];
                }
            }
        }
    } else {
        __u64 a0, a1;
        __u32 n = l->n6;
        if (!n)
            return;
        __builtin_memcpy(&a0, mapped, 8);
        __builtin_memcpy(&a1, mapped + 8, 8);
#pragma unroll
        for (int i = 0; i < PL_GUARD_INLINE_PREFIXES; i++) {
            if (i < n) {
                __u64 n0, n1, m0, m1;
                __builtin_memcpy(&n0, l->v6[i].net, 8);
                __builtin_memcpy(&n1, l->v6[i].net + 8, 8);
                __builtin_memcpy(&m0, l->v6[i].mask, 8);
                __builtin_memcpy(&m1, l->v6[i].mask + 8, 8);
                if ((a0 & m0) == n0 && (a1 & m1) == n1) {
#pragma unroll
                    for (int k = 0; k < PL_GUARD_WORDS; k++)
                        out[k] |= l->v6[i].w[k];
                }
            }
        }
    }
}

/* ---- the rule walk (a bpf_loop callback: verified once, however many rules) ---- */

struct pl_walk {
    __u64 cand[PL_GUARD_WORDS]; /* candidate rules left, lowest index first */
    __u32 base;                 /* slot * PL_GUARD_MAX_RULES */
    __u32 len;
    __u16 sport;
    __u16 dport;                /* ICMP: type << 8 | code */
    __u16 vlan;
    __u8 proto;
    __u8 tcp_flags;
    __u8 has_ports;
    __u8 is_icmp;
    __u8 is_tcp;
    __u8 action;                /* the deciding rule's action, when rule != NO_RULE */
    __u32 rule;                 /* the deciding rule's index, or PL_GUARD_NO_RULE */
};

static __always_inline int pl_rule_matches(struct pl_guard_rule *r, struct pl_walk *w)
{
    __u8 m = r->match;
    if ((m & PL_GM_PROTO) && r->proto != w->proto)
        return 0;
    if (m & (PL_GM_SPORT | PL_GM_DPORT)) {
        if (!w->has_ports)
            return 0;
        if ((m & PL_GM_SPORT) && (w->sport < r->sport_lo || w->sport > r->sport_hi))
            return 0;
        if ((m & PL_GM_DPORT) && (w->dport < r->dport_lo || w->dport > r->dport_hi))
            return 0;
    }
    if (m & (PL_GM_ICMP_TYPE | PL_GM_ICMP_CODE)) {
        if (!w->is_icmp)
            return 0;
        if ((m & PL_GM_ICMP_TYPE) && (w->dport >> 8) != r->icmp_type)
            return 0;
        if ((m & PL_GM_ICMP_CODE) && (w->dport & 0xff) != r->icmp_code)
            return 0;
    }
    if (m & PL_GM_TCP_FLAGS) {
        if (!w->is_tcp || (w->tcp_flags & r->tcp_mask) != r->tcp_value)
            return 0;
    }
    if ((m & PL_GM_VLAN) && w->vlan != r->vlan)
        return 0;
    return 1;
}

/* One candidate: the lowest set bit. Returns 1 (stop) when a rule decided or no candidate is
 * left. */
static __always_inline long pl_walk_one(struct pl_walk *w)
{
    __u32 word;
    __u64 bits;
    if (w->cand[0]) {
        word = 0;
        bits = w->cand[0];
    } else if (w->cand[1]) {
        word = 1;
        bits = w->cand[1];
    } else if (w->cand[2]) {
        word = 2;
        bits = w->cand[2];
    } else if (w->cand[3]) {
        word = 3;
        bits = w->cand[3];
    } else {
        return 1;
    }
    __u64 low = bits & -bits;
    __u32 n = 0;
    if (!(low & 0xffffffffULL)) { n += 32; low >>= 32; }
    if (!(low & 0xffffULL)) { n += 16; low >>= 16; }
    if (!(low & 0xffULL)) { n += 8; low >>= 8; }
    if (!(low & 0xfULL)) { n += 4; low >>= 4; }
    if (!(low & 0x3ULL)) { n += 2; low >>= 2; }
    if (!(low & 0x1ULL)) { n += 1; }
    bits &= bits - 1;
    if (word == 0) w->cand[0] = bits;
    else if (word == 1) w->cand[1] = bits;
    else if (word == 2) w->cand[2] = bits;
    else w->cand[3] = bits;

    __u32 key = w->base + word * 64 + n;
    struct pl_guard_rule *r = bpf_map_lookup_elem(&guard_rules, &key);
    if (!r || !pl_rule_matches(r, w))
        return 0;
    struct pl_guard_count *c = bpf_map_lookup_elem(&guard_rule_counts, &key);
    if (c) {
        c->packets += 1;
        c->bytes += w->len;
    }
    if (r->action == PL_GA_COUNT)
        return 0;
    w->rule = word * 64 + n;
    w->action = r->action;
    return 1;
}

/* The walk past the first two candidates, as a bpf_loop callback: verified once, however many
 * rules. Every call of it costs a call and a return (about 10 ns here, with the return thunk
 * of the CPU's speculation mitigations), so the first candidate, which decides most
 * packets, is stepped inline (pl_evaluate). */
static long pl_walk_step(__u32 i, void *ctx)
{
    return pl_walk_one(ctx);
}

/* ---- verdicts ---- */

#define PL_PASS 0
#define PL_DROP 1

struct pl_verdict {
    __u32 rule;   /* the deciding kernel rule, or PL_GUARD_NO_RULE */
    __u8 drop;
    __u8 reason;  /* a PL_GC_DROP_* when drop */
};

/* One packet's state, passed by pointer to the subprograms (at most five arguments); it lives in
 * guard_state, per CPU. */
struct pl_state {
    struct pl_packet p;
    struct pl_verdict v;
    __u64 now;
    __u32 slot;
    __u32 len;
    __u32 ifindex;
    int status;
    __u64 generation; /* of the slot that judged (set by pl_judge) */
    __u8 dry_run;
    __u8 now_coarse;  /* now is the tick clock's (see pl_now_coarse) */
    __u8 ct;          /* what the connection tracker makes of the packet (enum pl_ct_verdict), when the set tracks */
    __u8 pad[5];
    /* last, and not cleared per packet: written whole before it is read */
    __u64 dst_bits[PL_GUARD_WORDS]; /* the destination's rules, while the source's are gathered (pl_evaluate) */
};

/* The clock, read once per packet and only when something needs it (rate limits, fragments,
 * bans found, samples): most packets need none, and a clock read is a helper call. */
static __always_inline __u64 pl_now(struct pl_state *st)
{
    if (!st->now || st->now_coarse) {
        st->now = bpf_ktime_get_ns();
        st->now_coarse = 0;
    }
    return st->now;
}

/* CLOCK_MONOTONIC as of the last tick (up to one tick late: 4 ms at HZ=250), for rate limits
 * whose windows span several ticks (user space decides: pl_guard_limit.coarse_clock). The same
 * clock as bpf_ktime_get_ns, so buckets, bans and user space compare alike; measured here at
 * 22 ns a read against 38 for the precise clock. */
static __always_inline __u64 pl_now_coarse(struct pl_state *st)
{
    if (!st->now) {
        st->now = bpf_ktime_get_coarse_ns();
        st->now_coarse = 1;
    }
    return st->now;
}


static __noinline void pl_ban(struct pl_guard_limit *l, struct pl_guard_bucket_key *bk, __u64 now)
{
    struct pl_guard_ban_key key = {};
    key.prefixlen = 8 + bk->prefix;
    key.family = bk->family;
    __builtin_memcpy(key.addr, bk->addr, 16);
    struct pl_guard_ban ban = { .expires_ns = now + l->ban_ns, .tag = l->tag };
    if (bpf_map_update_elem(&guard_bans, &key, &ban, BPF_ANY)) {
        pl_guard_count(PL_GC_BAN_TABLE_FULL, 0);
        PL_DEBUG("ban table full: a /%u source over limit %u is not banned", bk->prefix, l->tag);
    } else {
        pl_guard_count(PL_GC_BANS_ADDED, 0);
        PL_DEBUG("banned a /%u source of limit %u for %llu ms", bk->prefix, l->tag, l->ban_ns / 1000000);
    }
}

/* A rate-limit rule decided: PL_PASS within the limit, else a drop reason. */
static __noinline int pl_rate_limit(struct pl_state *st, __u32 limit_index, struct pl_walk *w)
{
    struct pl_packet *p = &st->p;
    __u32 len = st->len;
    __u32 lk = st->slot * PL_GUARD_MAX_LIMITS + (limit_index & (PL_GUARD_MAX_LIMITS - 1));
    struct pl_guard_limit *l = bpf_map_lookup_elem(&guard_limits, &lk);
    if (!l)
        return PL_PASS;
    switch (l->traffic) {
    case PL_GT_SYN:
        if (!w->is_tcp || (w->tcp_flags & 0x12) != 0x02)
            return PL_PASS;
        break;
    case PL_GT_UDP:
        if (p->proto != IPPROTO_UDP)
            return PL_PASS;
        break;
    case PL_GT_ICMP:
        if (!w->is_icmp)
            return PL_PASS;
        break;
    default:
        break;
    }
    __u64 now = l->coarse_clock ? pl_now_coarse(st) : pl_now(st);
    struct pl_guard_bucket_key bk = {};
    bk.tag = l->tag;
    bk.family = p->family;
    /* masks from user space: no branch per byte for the verifier to walk */
    if (p->family == 4) {
        bk.prefix = l->prefix4;
        __u32 a, m;
        __builtin_memcpy(&a, p->src + 12, 4);
        __builtin_memcpy(&m, l->mask4, 4);
        a &= m;
        __builtin_memcpy(bk.addr, &a, 4);
    } else {
        bk.prefix = l->prefix6;
        __u64 a0, a1, m0, m1;
        __builtin_memcpy(&a0, p->src, 8);
        __builtin_memcpy(&a1, p->src + 8, 8);
        __builtin_memcpy(&m0, l->mask6, 8);
        __builtin_memcpy(&m1, l->mask6 + 8, 8);
        a0 &= m0;
        a1 &= m1;
        __builtin_memcpy(bk.addr, &a0, 8);
        __builtin_memcpy(bk.addr + 8, &a1, 8);
    }
    struct pl_guard_bucket *b = bpf_map_lookup_elem(&guard_buckets, &bk);
    if (!b) {
        if (!pl_insert_allowed(now))
            return PL_GC_DROP_BUCKET_RATE;
        struct pl_guard_bucket fresh = {};
        long err = bpf_map_update_elem(&guard_buckets, &bk, &fresh, BPF_NOEXIST);
        if (!err)
            pl_guard_count(PL_GC_BUCKETS_ADDED, 0);
        else if (err != -17 /* EEXIST: another CPU made it */)
            return PL_GC_DROP_BUCKET_FULL;
        b = bpf_map_lookup_elem(&guard_buckets, &bk);
        if (!b)
            return PL_GC_DROP_BUCKET_FULL;
    }
    b->last_ns = now; /* any CPU's recent time will do */
    __u64 byte_cost = ((__u64)len * l->byte_interval_q16) >> 16;
    if (l->byte_interval_q16 && !byte_cost)
        byte_cost = 1;
    /* both measures must conform; checked before either is charged */
    __u64 tp = *(volatile __u64 *)&b->tat_pkt, tb = *(volatile __u64 *)&b->tat_bytes;
    int ok = 1;
    if (l->pkt_interval_ns && (tp > now ? tp : now) + l->pkt_interval_ns - now > l->pkt_window_ns)
        ok = 0;
    if (byte_cost && (tb > now ? tb : now) + byte_cost - now > l->byte_window_ns)
        ok = 0;
    if (ok)
        ok = pl_gcra(&b->tat_pkt, now, l->pkt_interval_ns, l->pkt_window_ns)
            && pl_gcra(&b->tat_bytes, now, byte_cost, l->byte_window_ns);
    if (ok)
        return PL_PASS;
    if (cfg_percpu_buckets)
        b->dropped += 1;
    else
        __sync_fetch_and_add(&b->dropped, 1);
    if (l->ban_ns)
        pl_ban(l, &bk, now);
    return PL_GC_DROP_RATE;
}

/* Evaluates the rules of `slot` on a parsed, non-later-fragment IP packet. */
static __always_inline void pl_evaluate(struct pl_state *st, struct pl_guard_set *set)
{
    struct pl_packet *p = &st->p;
    struct pl_verdict *v = &st->v;
    __u32 slot = st->slot;
    int status = st->status;
    struct pl_walk w = {};
    /* a trie lookup is a helper call and a walk: skipped when no rule of the set lists prefixes
     * there, and when the set's few prefixes are matched in place (src_list, dst_list) */
    struct pl_guard_bits *sb = 0, *db = 0;
    if (set->lookup_src | set->lookup_dst) {
        struct pl_guard_lpm_key key = {};
        key.slot = slot;
        key.family = p->family;
        key.prefixlen = 16 + (p->family == 4 ? 32 : 128);
        if (set->lookup_src) {
            pl_guard_addr(key.addr, p->src, p->family);
            sb = bpf_map_lookup_elem(&guard_src, &key);
        }
        if (set->lookup_dst) {
            pl_guard_addr(key.addr, p->dst, p->family);
            db = bpf_map_lookup_elem(&guard_dst, &key);
        }
    }
#pragma unroll
    for (int i = 0; i < PL_GUARD_WORDS; i++)
        w.cand[i] = set->src_any[i] | (sb ? sb->w[i] : 0);
    pl_list_match(&set->src_list, p->src, p->family, w.cand);
    if (db || set->dst_list.n4 || set->dst_list.n6) {
        /* the destination's rules, gathered apart from the source's (w.cand) before the two meet,
         * in the packet's state: the stack is the judgement's call chain's (512 bytes in all) */
        __u64 *d = st->dst_bits;
#pragma unroll
        for (int i = 0; i < PL_GUARD_WORDS; i++)
            d[i] = set->dst_any[i] | (db ? db->w[i] : 0);
        pl_list_match(&set->dst_list, p->dst, p->family, d);
#pragma unroll
        for (int i = 0; i < PL_GUARD_WORDS; i++)
            w.cand[i] &= d[i];
    } else {
#pragma unroll
        for (int i = 0; i < PL_GUARD_WORDS; i++)
            w.cand[i] &= set->dst_any[i];
    }
    /* state rules: only the rules that accept the packet's connection state are candidates (a bitmap
     * per state, like the prefix bitmaps), so the walk itself does not change */
    if (set->track) {
        __u32 ct = st->ct;
        if (ct > PL_CT_V_INVALID)
            ct = PL_CT_V_UNTRACKED;
#pragma unroll
        for (int i = 0; i < PL_GUARD_WORDS; i++)
            w.cand[i] &= set->state_ok[ct][i];
    }
    w.base = slot * PL_GUARD_MAX_RULES;
    w.len = st->len;
    w.proto = p->proto;
    w.sport = p->sport;
    w.dport = p->dport;
    w.vlan = p->vlan;
    w.tcp_flags = p->tcp_flags;
    int l4 = status == PL_PARSE_OK;
    w.has_ports = l4 && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP || p->proto == IPPROTO_SCTP);
    w.is_tcp = l4 && p->proto == IPPROTO_TCP;
    w.is_icmp = l4 && (p->family == 4 ? p->proto == IPPROTO_ICMP : p->proto == IPPROTO_ICMPV6);
    w.rule = PL_GUARD_NO_RULE;
    if (!pl_walk_one(&w))
        bpf_loop(PL_GUARD_MAX_RULES, pl_walk_step, &w, 0);

    v->rule = w.rule;
    if (w.rule == PL_GUARD_NO_RULE) {
        v->drop = set->default_action == PL_GA_DENY;
        v->reason = PL_GC_DROP_DEFAULT;
        return;
    }
    if (w.action == PL_GA_DENY) {
        v->drop = 1;
        v->reason = PL_GC_DROP_RULE;
    } else if (w.action == PL_GA_RATE_LIMIT) {
        __u32 rk = w.base + (w.rule & (PL_GUARD_MAX_RULES - 1));
        struct pl_guard_rule *r = bpf_map_lookup_elem(&guard_rules, &rk);
        if (!r)
            return;
        int reason = pl_rate_limit(st, r->limit, &w);
        if (reason != PL_PASS) {
            v->drop = 1;
            v->reason = reason;
        }
    }
}

/* ---- fragments ---- */

static __always_inline void pl_frag_key(struct pl_guard_frag_key *k, struct pl_packet *p)
{
    __builtin_memcpy(k->src, p->src, 16);
    __builtin_memcpy(k->dst, p->dst, 16);
    k->id = p->frag_id;
    k->family = p->family;
    k->proto = p->proto;
}

/* Adds the piece [lo, hi) to a locked entry: 0, or a drop reason (overlap, too many pieces).
 * Merges with a touching span so that pieces arriving in order (or in reverse) take one. */
static __always_inline int pl_frag_add(struct pl_guard_frag *f, __u32 lo, __u32 hi)
{
    int merged = -1, overlap = 0;
    __u32 n = f->nspans;
#pragma unroll
    for (int i = 0; i < PL_GUARD_FRAG_SPANS; i++) {
        __u32 a = f->span_lo[i], b = f->span_hi[i];
        if (i < n) {
            if (lo < b && a < hi)
                overlap = 1;
            if (merged < 0 && (hi == a || lo == b))
                merged = i;
        }
    }
    if (overlap)
        return PL_GC_DROP_FRAG_OVERLAP;
#pragma unroll
    for (int i = 0; i < PL_GUARD_FRAG_SPANS; i++) {
        if (i == merged) {
            if (hi == f->span_lo[i])
                f->span_lo[i] = lo;
            else
                f->span_hi[i] = hi;
            return 0;
        }
    }
    if (n >= PL_GUARD_FRAG_SPANS)
        return PL_GC_DROP_FRAG_SPANS;
#pragma unroll
    for (int i = 0; i < PL_GUARD_FRAG_SPANS; i++) {
        if (i == n) {
            f->span_lo[i] = lo;
            f->span_hi[i] = hi;
        }
    }
    f->nspans = n + 1;
    return 0;
}

/* After pieces were added: whether the datagram is complete (one span [0, total) with the
 * last piece seen), so that its entry can go. Called with the lock held. */
static __always_inline int pl_frag_complete(struct pl_guard_frag *f)
{
    return f->seen_last && f->nspans == 1 && f->span_lo[0] == 0 && f->span_hi[0] == f->total;
}

/* Bytes of the fragmentable part this fragment carries, or -1 when its header says less than
 * its own headers. */
static __always_inline int pl_frag_bytes(struct pl_packet *p)
{
    int n = (int)p->l3_off + (int)p->ip_len - (int)p->frag_data_off;
    return n < 0 ? -1 : n;
}

/* A later fragment: the verdict its datagram got. */
static __noinline void pl_later_fragment(struct pl_guard_set *set, struct pl_packet *p, __u64 now,
                                              struct pl_verdict *v)
{
    int n = pl_frag_bytes(p);
    __u32 lo = p->frag_offset, hi = lo + (n < 0 ? 0 : n);
    if (n < 0 || hi > 65535) {
        v->drop = 1;
        v->reason = PL_GC_DROP_FRAG_OVERSIZE;
        return;
    }
    struct pl_guard_frag_key k = {};
    pl_frag_key(&k, p);
    struct pl_guard_frag *f = bpf_map_lookup_elem(&guard_frags, &k);
    if (!f || f->expires_ns < now) {
        PL_DEBUG("fragment table miss: later fragment of datagram 0x%x at offset %u has no first fragment (%s)",
                 p->frag_id, lo, f ? "expired" : "unknown");
        if (set->frag_fail_closed) {
            v->drop = 1;
            v->reason = PL_GC_DROP_FRAG_NO_FIRST;
        } else {
            pl_guard_count(PL_GC_FRAG_NO_FIRST_PASSED, 0);
        }
        return;
    }
    int reason, verdict, done = 0;
    bpf_spin_lock(&f->lock);
    reason = pl_frag_add(f, lo, hi);
    if (reason) {
        f->verdict = PL_DROP; /* RFC 5722: an overlap spoils the whole datagram */
        f->reason = reason;
    } else {
        if (!p->frag_more) {
            f->seen_last = 1;
            f->total = hi;
        }
        done = pl_frag_complete(f);
        reason = f->verdict == PL_DROP ? PL_GC_DROP_FRAG_FOLLOW : 0;
    }
    verdict = f->verdict;
    bpf_spin_unlock(&f->lock);
    if (done)
        bpf_map_delete_elem(&guard_frags, &k);
    if (verdict == PL_DROP || reason) {
        v->drop = 1;
        v->reason = reason ? reason : PL_GC_DROP_FRAG_FOLLOW;
    } else {
        pl_guard_count(PL_GC_FRAG_FOLLOW_PASSED, 0);
    }
}

/* The transport header a first fragment must hold whole (RFC 1858, 3128; RFC 7112 for IPv6). */
static __always_inline __u32 pl_l4_min(struct pl_packet *p)
{
    switch (p->proto) {
    case IPPROTO_TCP: return 20;
    case IPPROTO_UDP: return 8;
    case IPPROTO_SCTP: return 12;
    case IPPROTO_ICMP: return p->family == 4 ? 4 : 0;   /* as the parser reads them */
    case IPPROTO_ICMPV6: return p->family == 6 ? 4 : 0;
    default: return 0;
    }
}

/* A first fragment, already judged by the rules (v): remembers the verdict for its followers. */
static __noinline void pl_first_fragment(struct pl_guard_set *set, struct pl_packet *p, __u64 now,
                                              struct pl_verdict *v)
{
    int n = pl_frag_bytes(p);
    if (n < 0) {
        v->drop = 1;
        v->reason = PL_GC_DROP_FRAG_OVERSIZE;
        return;
    }
    struct pl_guard_frag_key k = {};
    pl_frag_key(&k, p);
    struct pl_guard_frag fresh = {};
    fresh.verdict = v->drop ? PL_DROP : PL_PASS;
    fresh.reason = v->reason;
    fresh.expires_ns = now + set->frag_timeout_ns;
    fresh.nspans = 1;
    fresh.span_hi[0] = n;
    long err = bpf_map_update_elem(&guard_frags, &k, &fresh, BPF_NOEXIST);
    if (!err) {
        pl_guard_count(PL_GC_FRAGS_ADDED, 0);
        return;
    }
    struct pl_guard_frag *f = err == -17 ? bpf_map_lookup_elem(&guard_frags, &k) : 0;
    if (f && f->expires_ns < now) {
        /* a stale datagram with the same id: start over */
        bpf_map_update_elem(&guard_frags, &k, &fresh, BPF_EXIST);
        return;
    }
    if (f) {
        /* a second first fragment of a live datagram overlaps the first one */
        bpf_spin_lock(&f->lock);
        f->verdict = PL_DROP;
        f->reason = PL_GC_DROP_FRAG_OVERLAP;
        bpf_spin_unlock(&f->lock);
        v->drop = 1;
        v->reason = PL_GC_DROP_FRAG_OVERLAP;
        return;
    }
    /* the table is full */
    PL_DEBUG("fragment table full: datagram 0x%x not remembered, its followers %s", p->frag_id,
             set->frag_fail_closed ? "will be dropped" : "will pass");
    if (set->frag_fail_closed) {
        v->drop = 1;
        v->reason = PL_GC_DROP_FRAG_FULL;
    } else if (!v->drop) {
        pl_guard_count(PL_GC_FRAG_FULL_PASSED, 0);
    }
}

/* Whether the source is banned now. */
static __noinline int pl_banned(struct pl_packet *p)
{
    struct pl_guard_ban_key bk = {};
    bk.prefixlen = 8 + (p->family == 4 ? 32 : 128);
    bk.family = p->family;
    pl_guard_addr(bk.addr, p->src, p->family);
    struct pl_guard_ban *ban = bpf_map_lookup_elem(&guard_bans, &bk);
    return ban && ban->expires_ns > bpf_ktime_get_ns();
}

/* A tiny first fragment: its datagram is remembered as dropped, so that its followers are too. */
static __noinline void pl_tiny_fragment(struct pl_guard_set *set, struct pl_packet *p, __u64 now)
{
    struct pl_guard_frag_key k = {};
    pl_frag_key(&k, p);
    struct pl_guard_frag fresh = {};
    fresh.verdict = PL_DROP;
    fresh.reason = PL_GC_DROP_FRAG_TINY;
    fresh.expires_ns = now + set->frag_timeout_ns;
    if (!bpf_map_update_elem(&guard_frags, &k, &fresh, BPF_NOEXIST))
        pl_guard_count(PL_GC_FRAGS_ADDED, 0);
}

/* ---- reporting ---- */

static __always_inline void pl_guard_count_n(__u32 slot, __u64 packets, __u64 bytes)
{
    struct pl_guard_count *c = bpf_map_lookup_elem(&guard_counters, &slot);
    if (c) {
        c->packets += packets;
        c->bytes += bytes;
    }
}

/* Records a drop against its source in this CPU's slot of the source's hash (see struct
 * pl_guard_source): one array slot, no lock, no atomic, where a hash table would take an
 * insert or an LRU eviction for every new spoofed source. */
static __always_inline void pl_drop_source(struct pl_packet *p, __u32 len)
{
    __u32 a[4];
    pl_guard_addr((__u8 *)a, p->src, p->family);
    __u32 w0 = a[0], w1 = a[1], w2 = a[2], w3 = a[3];
    __u32 bits = cfg_source_bits;
    if (bits < 1 || bits > 24)
        bits = 12;
    __u32 key = ((w0 ^ w1 ^ w2 ^ w3 ^ p->family) * 0x9E3779B1u) >> (32 - bits);
    key |= bpf_get_smp_processor_id() << bits; /* beyond the array (more CPUs than sized for): counted below */
    struct pl_guard_source *s = bpf_map_lookup_elem(&guard_drop_sources, &key);
    if (!s) {
        pl_guard_count(PL_GC_SOURCES_FULL, len);
        return;
    }
    __u32 *h = (__u32 *)s->addr;
    if (s->packets && s->family == p->family && h[0] == w0 && h[1] == w1 && h[2] == w2 && h[3] == w3) {
        s->packets += 1;
        s->bytes += len;
        return;
    }
    if (s->packets && ++s->contest <= s->packets) {
        pl_guard_count(PL_GC_SOURCES_FULL, len);
        return;
    }
    /* empty, or the holder drew fewer drops than its rivals: the newcomer takes the slot, and
     * the holder's drops leave the table into the unrecorded count */
    if (s->packets)
        pl_guard_count_n(PL_GC_SOURCES_FULL, s->packets, s->bytes);
    s->family = p->family;
    s->contest = 0;
    h[0] = w0;
    h[1] = w1;
    h[2] = w2;
    h[3] = w3;
    s->packets = 1;
    s->bytes = len;
}

/* Fills a sample's header (a function of its own also puts struct pl_guard_event into the
 * object's BTF, where GuardLayoutTest reads it). */
static __noinline void pl_event_fill(struct pl_guard_event *ev, struct pl_state *st, __u32 cap)
{
    if (!ev)
        return;
    ev->ts_ns = pl_now(st);
    ev->generation = st->generation;
    ev->pkt_len = st->len;
    ev->rule = st->v.rule;
    ev->reason = st->v.reason;
    ev->slot = st->slot;
    ev->cap_len = cap;
    ev->family = st->p.family;
    ev->proto = st->p.proto;
    ev->ifindex = st->ifindex;
}

static __noinline void pl_sample(void *ctx, int xdp, struct pl_state *st)
{
    __u32 len = st->len;
    const __u32 size = sizeof(struct pl_guard_event);
    struct pl_guard_event *ev = pl_reserve(guard_events, size);
    if (!ev) {
        pl_guard_count(PL_GC_EVENTS_LOST, size);
        return;
    }
    __u32 cap = len;
    asm volatile("" : "+r"(cap)); /* bound the register the helper gets (see flow.bpf.c) */
    if (cap > PL_GUARD_SAMPLE_BYTES)
        cap = PL_GUARD_SAMPLE_BYTES;
    long err = -1;
    if (cap > 0) {
        if (xdp)
            err = bpf_xdp_load_bytes(ctx, 0, ev->data, cap);
        else
            err = bpf_skb_load_bytes(ctx, 0, ev->data, cap);
    }
    pl_event_fill(ev, st, err ? 0 : cap);
    if (pl_submit(ctx, guard_events, ev, size))
        pl_guard_count(PL_GC_EVENTS_LOST, size);
    else
        pl_guard_count(PL_GC_EVENTS_SENT, size);
}

/* ---- the one judgement behind both hooks: 1 to drop, 0 to pass ---- */

/* Judges one parsed IP frame into st->v. A global function: the verifier checks it once, on
 * its own, rather than once for every way the parser can end (each VLAN and extension header
 * layout is another verifier state, and each would walk all of this again). Inlined, it saved
 * its call and return (2-4 ns per packet by test-run) but made the guard's load 2.5 times as
 * long (2.2-2.6 s to 6.5-6.8 s here), for a flood gain within the noise (docs/BENCHMARKS.md, Guard). */
__noinline int pl_judge(struct pl_state *st)
{
    if (!st)
        return 0;
    __u32 slot = st->slot & 1;
    struct pl_guard_set *set = bpf_map_lookup_elem(&guard_sets, &slot);
    if (!set)
        return 0;
    struct pl_packet *p = &st->p;
    struct pl_verdict *v = &st->v;
    int status = st->status;
    int first_fragment = p->fragment && !p->later_fragment && p->frag_more;
    if (status == PL_PARSE_TRUNCATED && first_fragment) {
        /* the frame ends inside the first fragment's headers: a tiny fragment */
        v->drop = 1;
        v->reason = PL_GC_DROP_FRAG_TINY;
        pl_tiny_fragment(set, p, pl_now(st));
    } else if (status == PL_PARSE_TRUNCATED) {
        v->drop = 1;
        v->reason = PL_GC_DROP_TRUNCATED;
    } else if (status == PL_PARSE_MALFORMED) {
        v->drop = 1;
        v->reason = PL_GC_DROP_MALFORMED;
    } else if (status == PL_PARSE_EXT_LIMIT) {
        v->drop = 1;
        v->reason = PL_GC_DROP_EXT_LIMIT;
    } else if (set->bans && pl_banned(p)) {
        /* a banned source is dropped whatever it sends (while the ruleset in force bans at all) */
        v->drop = 1;
        v->reason = PL_GC_DROP_BANNED;
    } else if (p->later_fragment) {
        pl_later_fragment(set, p, pl_now(st), v);
    } else if (first_fragment && (__u32)p->l4_off + pl_l4_min(p) > (__u32)p->l3_off + p->ip_len) {
        /* the frame holds the header, but the fragment's own length says it does not */
        v->drop = 1;
        v->reason = PL_GC_DROP_FRAG_TINY;
        pl_tiny_fragment(set, p, pl_now(st));
    } else {
        pl_evaluate(st, set);
        if (first_fragment)
            pl_first_fragment(set, p, pl_now(st), v);
    }
    st->generation = set->generation;
    st->dry_run = set->dry_run;
    return 0;
}

/* The debug line of a drop, in a function of its own: printk's arguments take stack, and the
 * entry point's frame is on the deepest call chain (pl_judge, pl_evaluate, pl_rate_limit, ...),
 * which the verifier holds to 512 bytes in all. */
static __noinline void pl_debug_drop(struct pl_state *st)
{
    if (!st)
        return;
    /* reason: a PL_GC_DROP_* code (io.packetlens.guard.DropReason); rule: the rule's index, or PL_GUARD_NO_RULE */
    PL_DEBUG_PACKET(&st->p, "drop reason %u rule %u%s:", st->v.reason, st->v.rule, st->dry_run ? " (dry run: passed)" : "");
}

/* ---- the one judgement behind both hooks: 1 to drop, 0 to pass ---- */

/* One packet's state while the guard judges it: per CPU (a program run is not interrupted by
 * another on its CPU: XDP and TC run with bottom halves off), so that it takes no room on the
 * stack, which the judgement's call chain needs (512 bytes in all). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_state);
} guard_state SEC(".maps");

/* The packet as the connection tracker reads it, between the look before judging and the count
 * after: one per CPU (a program run is not interrupted by another on its CPU), so that it takes
 * no room on the stack, which the judgement's call chain needs (512 bytes in all). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_ct_packet);
} guard_ct_packet SEC(".maps");

/* What the tracker makes of the packet (enum pl_ct_verdict), changing nothing; -1 when it does not
 * follow it; c is left for pl_guard_commit. Global functions, one per context type, so that the
 * verifier checks each once, not again on every path of the judgement that calls it (which tripled
 * the guard's verification when they were static). */
static __always_inline int pl_guard_peek(void *data, void *end, struct pl_state *st, __u32 segs, struct pl_ct_packet *c)
{
    if (!c || !st)
        return -1;
    __builtin_memset(c, 0, sizeof(*c));
    if (pl_ct_prepare(data, end, &st->p, st->status, st->ifindex, segs, c) < 0)
        return -1;
    struct pl_ct_entry *e = bpf_map_lookup_elem(&ct_table, &c->key);
    return pl_ct_peek(c, e, bpf_ktime_get_ns());
}

__noinline int pl_guard_peek_xdp(struct xdp_md *ctx, struct pl_state *st, struct pl_ct_packet *c)
{
    if (!ctx)
        return -1;
    return pl_guard_peek((void *)(long)ctx->data, (void *)(long)ctx->data_end, st, 1, c);
}

__noinline int pl_guard_peek_tc(struct __sk_buff *skb, struct pl_state *st, struct pl_ct_packet *c)
{
    if (!skb)
        return -1;
    return pl_guard_peek((void *)(long)skb->data, (void *)(long)skb->data_end, st, skb->gso_segs, c);
}

/* The tracker's part of a packet the guard let through: counted into its connection, which it
 * opens if need be. A global function, verified once rather than at each call, and off the
 * judgement's call chain. The guard's tracker sends no events (cfg_ct_events is 0), so no context
 * is needed. */
__noinline int pl_guard_commit(struct pl_ct_packet *c, __u32 ifindex, __u64 now)
{
    if (!c)
        return 0;
    struct pl_ct_entry *e = bpf_map_lookup_elem(&ct_table, &c->key);
    return pl_ct_commit((void *)0, c, e, ifindex, now);
}

static __always_inline int pl_guard(void *ctx, int xdp, void *data, void *end, int hw_vlan, __u32 len, __u32 ifindex)
{
    __u32 zero = 0;
    struct pl_guard_active *active = bpf_map_lookup_elem(&guard_active, &zero);
    if (!active)
        return 0;
    /* the one read of the active slot: everything below uses this ruleset */
    __u32 slot = *(volatile __u32 *)&active->slot & 1;
    struct pl_guard_count *sc = bpf_map_lookup_elem(&guard_slot_counts, &slot);
    if (sc) {
        sc->packets += 1;
        sc->bytes += len;
    }
    struct pl_state *st = bpf_map_lookup_elem(&guard_state, &zero);
    if (!st)
        return 0;
    __builtin_memset(st, 0, __builtin_offsetof(struct pl_state, dst_bits));
    st->slot = slot;
    st->len = len;
    st->ifindex = ifindex;
    st->v.rule = PL_GUARD_NO_RULE;
    int status = pl_parse(data, end, hw_vlan, &st->p);
    st->status = status;
    if (status == PL_PARSE_NOT_IP || (status == PL_PARSE_TRUNCATED && st->p.ethertype != ETH_P_IP && st->p.ethertype != ETH_P_IPV6)) {
        pl_guard_count(PL_GC_NOT_IP, len);
        return 0;
    }
    /* state rules: what the tracker makes of the packet, before judging it; it counts only if passed */
    struct pl_guard_set *set = bpf_map_lookup_elem(&guard_sets, &slot);
    struct pl_ct_packet *ctp = 0;
    int tracked = -1;
    if (set && set->track) {
        ctp = bpf_map_lookup_elem(&guard_ct_packet, &zero);
        tracked = xdp ? pl_guard_peek_xdp(ctx, st, ctp) : pl_guard_peek_tc(ctx, st, ctp);
        st->ct = tracked & 7; /* -1: 7, untracked to the rules */
    }
    pl_judge(st);
    if (!st->v.drop) {
        pl_guard_count(PL_GC_PASSED, len);
        if (tracked >= 0)
            pl_guard_commit(ctp, ifindex, bpf_ktime_get_ns());
        return 0;
    }
    pl_guard_count(PL_GC_DROPPED, len);
    pl_guard_count(st->v.reason, len);
    if (pl_debug)
        pl_debug_drop(st);
    if (st->p.family)
        pl_drop_source(&st->p, len);
    if (cfg_sample_every && bpf_get_prandom_u32() % cfg_sample_every == 0)
        pl_sample(ctx, xdp, st);
    if (st->dry_run) {
        pl_guard_count(PL_GC_DRY_RUN_PASSED, len);
        if (tracked >= 0)
            pl_guard_commit(ctp, ifindex, bpf_ktime_get_ns());
        return 0;
    }
    return 1;
}

/* ---- entry points ---- */

/* ==== PASS POINT =======================================================================
 * The one place where a packet guard lets through leaves the XDP program: on to the next
 * member of the interface's chain (packetlens_chain.h: the flow monitor after the guard),
 * or to the stack when none follows. */
static __always_inline int pl_guard_xdp_pass(struct xdp_md *ctx)
{
    return PL_XDP_CHAIN_NEXT(ctx);
}
/* ==== end of PASS POINT ================================================================ */

SEC("xdp")
int guard_xdp(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    /* loaded without frags (SEC("xdp")), so the frame is all linear: its length without the
     * helper call bpf_xdp_get_buff_len would cost (about 20 ns) */
    __u32 len = (__u32)(end - data);
    if (pl_guard(ctx, 1, data, end, -1, len, ctx->ingress_ifindex))
        return XDP_DROP;
    return pl_guard_xdp_pass(ctx);
}

/* Headers the parser may need in the linear part of the skb. */
#define PL_TC_PULL 256

SEC("tc")
int guard_tc_ingress(struct __sk_buff *skb)
{
    /* the frame as it was on the wire: with the tag the receive path moved into skb metadata,
     * as XDP counts it */
    __u32 len = skb->len + (skb->vlan_present ? 4 : 0);
    /* a tag the device took out of the frame (VLAN acceleration) is the outermost */
    int hw_vlan = skb->vlan_present ? (int)(skb->vlan_tci & 0x0fff) : -1;
    /* make the headers linear first (content unchanged), so that one parse sees them */
    if ((long)skb->data_end - (long)skb->data < (len < PL_TC_PULL ? len : PL_TC_PULL))
        bpf_skb_pull_data(skb, len < PL_TC_PULL ? len : PL_TC_PULL);
    void *data = (void *)(long)skb->data;
    void *end = (void *)(long)skb->data_end;
    if (pl_guard(skb, 0, data, end, hw_vlan, len, skb->ifindex))
        return TC_ACT_SHOT;
    /* TC_ACT_UNSPEC (= TCX_NEXT): on to whatever runs after us */
    return TC_ACT_UNSPEC;
}

/* The other half of state rules: what the host sends, tracked at TC egress, so that replies to
 * the host's own connections are known when they come back (the tracker's own TC entry). Never
 * drops; idle (two array lookups) while the ruleset in force has no state rule. */
SEC("tc")
int guard_tc_egress(struct __sk_buff *skb)
{
    __u32 zero = 0;
    struct pl_guard_active *active = bpf_map_lookup_elem(&guard_active, &zero);
    if (!active)
        return TC_ACT_UNSPEC;
    __u32 slot = *(volatile __u32 *)&active->slot & 1;
    struct pl_guard_set *set = bpf_map_lookup_elem(&guard_sets, &slot);
    if (set && set->track)
        pl_ct_track_skb(skb);
    return TC_ACT_UNSPEC;
}
