/* Layouts shared by guard.bpf.c (the XDP / TC firewall) and its Java side
 * (io.packetlens.guard.GuardLayout mirrors every offset written here; GuardLayoutTest compares
 * them with the BTF of the compiled object). docs/GUARD.md describes the design.
 *
 * A ruleset lives in one of two slots. Everything a ruleset consists of is keyed or indexed by
 * its slot: the set header (guard_sets[slot]), the rules (guard_rules[slot * 256 + i]), the
 * limiters (guard_limits[slot * 16 + i]) and the prefixes (the slot byte of every LPM key).
 * The program reads the active slot once per packet (guard_active), so a packet is judged by
 * one whole ruleset; user space fills the idle slot, then flips guard_active in one store. */
#ifndef PACKETLENS_GUARD_H
#define PACKETLENS_GUARD_H

#include <linux/types.h>
#include <linux/bpf.h>

#define PL_GUARD_MAX_RULES 256   /* kernel rules per ruleset: four 64-bit words of bitmap */
#define PL_GUARD_WORDS 4
#define PL_GUARD_MAX_LIMITS 16   /* limiters per ruleset */
#define PL_GUARD_NO_RULE 0xffff
#define PL_GUARD_SAMPLE_BYTES 128
#define PL_GUARD_FRAG_SPANS 6    /* received pieces one datagram entry tracks (adjacent ones merge) */

/* Actions of a kernel rule and of a set's default (rules.Action's order). */
enum pl_guard_action {
    PL_GA_ALLOW = 0,
    PL_GA_DENY = 1,
    PL_GA_RATE_LIMIT = 2,
    PL_GA_COUNT = 3,
};

/* pl_guard_rule.match: which fields the rule tests besides its prefixes. */
#define PL_GM_PROTO     0x01
#define PL_GM_SPORT     0x02
#define PL_GM_DPORT     0x04
#define PL_GM_ICMP_TYPE 0x08
#define PL_GM_ICMP_CODE 0x10
#define PL_GM_TCP_FLAGS 0x20
#define PL_GM_VLAN      0x40

/* Limiter traffic classes (rules.RateLimit.Traffic's order). */
enum pl_guard_traffic {
    PL_GT_ALL = 0,
    PL_GT_SYN = 1,  /* TCP with SYN and without ACK */
    PL_GT_UDP = 2,
    PL_GT_ICMP = 3, /* ICMP in IPv4, ICMPv6 in IPv6 */
};

/* One kernel rule: guard_rules[slot * PL_GUARD_MAX_RULES + index], index in priority order.
 * 24 bytes:
 *   0 u16 sport_lo   2 u16 sport_hi   4 u16 dport_lo   6 u16 dport_hi
 *   8 u16 vlan      10 u16 source_rule (the YAML rule it came from; user space only)
 *  12 u8 match      13 u8 action     14 u8 proto      15 u8 limit (limiter index in the slot)
 *  16 u8 icmp_type  17 u8 icmp_code  18 u8 tcp_mask   19 u8 tcp_value   20 u32 pad */
struct pl_guard_rule {
    __u16 sport_lo;
    __u16 sport_hi;
    __u16 dport_lo;
    __u16 dport_hi;
    __u16 vlan;
    __u16 source_rule;
    __u8 match;
    __u8 action;
    __u8 proto;
    __u8 limit;
    __u8 icmp_type;
    __u8 icmp_code;
    __u8 tcp_mask;
    __u8 tcp_value;
    __u32 pad;
};

/* A ruleset's header: guard_sets[slot]. 1936 bytes:
 *   0 u64 src_any[4]   rules without a source prefix (a bitmap by rule index)
 *  32 u64 dst_any[4]   rules without a destination prefix
 *  64 u64 generation   the install that filled the slot (for events; user space counts by it)
 *  72 u64 frag_timeout_ns
 *  80 u32 nrules      84 u32 pad0
 *  88 u8 default_action  89 u8 dry_run  90 u8 frag_fail_closed  91 lookup_src  92 lookup_dst  93 bans
 *  94 u8 track  95 pad
 *  96 u64 state_ok[5][4]  per connection state (enum pl_ct_verdict, 0 untracked), the rules that
 *                         accept it: those without a state, and those that list it
 * 256 struct pl_guard_prefixes src_list   1096 dst_list: a ruleset's prefixes of one direction when they
 *                         are few (lookup_src / lookup_dst 0), matched in place of the trie */
#define PL_GUARD_INLINE_PREFIXES 8

/* One IPv4 prefix matched in place (pl_guard_prefixes), 40 bytes: 0 u8 net[4] (the masked address,
 * as on the wire)  4 u8 mask[4]  8 u64 w[4] (the rules the prefix's source or destination selects,
 * its covering prefixes' included, as in the trie). */
struct pl_guard_prefix4 {
    __u8 net[4];
    __u8 mask[4];
    __u64 w[PL_GUARD_WORDS];
};

/* The same for IPv6, 64 bytes: 0 u8 net[16]  16 u8 mask[16]  32 u64 w[4]. */
struct pl_guard_prefix6 {
    __u8 net[16];
    __u8 mask[16];
    __u64 w[PL_GUARD_WORDS];
};

/* A direction's prefixes, when it has at most PL_GUARD_INLINE_PREFIXES of each family: a trie
 * lookup is a helper call and a walk of the trie's nodes (the guard's largest single cost under a
 * flood, measured), where a few masked compares are a dozen instructions. A packet's candidates
 * are the OR of every matching entry's w: the same as the trie's longest match, whose value holds
 * its covering prefixes' rules. 840 bytes: 0 u8 n4  1 u8 n6  2 pad[6]  8 v4[8]  328 v6[8]. */
struct pl_guard_prefixes {
    __u8 n4;
    __u8 n6;
    __u8 pad[6];
    struct pl_guard_prefix4 v4[PL_GUARD_INLINE_PREFIXES];
    struct pl_guard_prefix6 v6[PL_GUARD_INLINE_PREFIXES];
};

struct pl_guard_set {
    __u64 src_any[PL_GUARD_WORDS];
    __u64 dst_any[PL_GUARD_WORDS];
    __u64 generation;
    __u64 frag_timeout_ns;
    __u32 nrules;
    __u32 pad0;
    __u8 default_action;
    __u8 dry_run;
    __u8 frag_fail_closed;
    __u8 lookup_src;   /* source prefixes are in guard_src (too many for src_list): look the source up there */
    __u8 lookup_dst;   /* the same for destinations, guard_dst and dst_list */
    __u8 bans;         /* some limiter of the set bans: look the source up in guard_bans */
    __u8 track;        /* some rule has a state: track connections (ct_table) and judge by their state */
    __u8 pad;
    __u64 state_ok[5][PL_GUARD_WORDS];
    struct pl_guard_prefixes src_list;
    struct pl_guard_prefixes dst_list;
};

/* The active slot: guard_active[0]. 16 bytes: 0 u32 slot (0 or 1), 4 u32 pad, 8 u64 generation.
 * The program reads slot only; generation is user space's note of what is active. */
struct pl_guard_active {
    __u32 slot;
    __u32 pad;
    __u64 generation;
};

/* A limiter: guard_limits[slot * PL_GUARD_MAX_LIMITS + index], 72 bytes. Generic cell rate algorithm
 * (a token bucket written as a theoretical arrival time): a packet conforms when
 * max(tat, now) + cost - now <= window; cost is pkt_interval_ns per packet and
 * len * byte_interval_q16 >> 16 per frame of len bytes; window is burst times the cost of one
 * unit.
 *   0 u64 pkt_interval_ns (0: no packet rate)   8 u64 pkt_window_ns
 *  16 u64 byte_interval_q16 (ns per byte << 16; 0: no byte rate)   24 u64 byte_window_ns
 *  32 u64 ban_ns (0: no ban)   40 u32 tag (bucket key: the limiter's name hashed, stable across
 *  installs)   44 u8 traffic   45 u8 prefix4   46 u8 prefix6   47 u8 pad
 *  48 u8 mask6[16] (prefix6 as a mask: the program masks without branches)
 *  64 u8 mask4[4]   68 u32 pad2 */
struct pl_guard_limit {
    __u64 pkt_interval_ns;
    __u64 pkt_window_ns;
    __u64 byte_interval_q16;
    __u64 byte_window_ns;
    __u64 ban_ns;
    __u32 tag;
    __u8 traffic;
    __u8 prefix4;
    __u8 prefix6;
    __u8 coarse_clock; /* 1: the windows span several ticks, so the tick clock will do */
    __u8 mask6[16];
    __u8 mask4[4];
    __u32 pad2;
};

/* Key of the prefix tries guard_src and guard_dst: prefixlen counts the slot and family bytes
 * (16 + prefix bits). IPv4 addresses in the first four bytes of addr. 24 bytes (2 of
 * trailing padding, which no prefix reaches). */
struct pl_guard_lpm_key {
    __u32 prefixlen;
    __u8 slot;
    __u8 family;
    __u8 addr[16];
};

/* Value of the prefix tries: the rules whose prefix covers the key's prefix (user space adds
 * the rules of every shorter covering prefix, so one lookup gives them all). 32 bytes. */
struct pl_guard_bits {
    __u64 w[PL_GUARD_WORDS];
};

/* Per-CPU packets and bytes: rule counters, reason counters, per-slot counters. */
struct pl_guard_count {
    __u64 packets;
    __u64 bytes;
};

/* Fragment table key: one datagram. 40 bytes. */
struct pl_guard_frag_key {
    __u8 src[16];
    __u8 dst[16];
    __u32 id;
    __u8 family;
    __u8 proto;
    __u16 pad;
};

/* Fragment table value (48 bytes): the first fragment's verdict and the pieces received, as
 * byte spans [lo, hi) of the fragmentable part. The lock serialises CPUs that receive pieces
 * of one datagram at once.
 *   0 bpf_spin_lock   4 u8 verdict (0 pass, 1 drop)   5 u8 reason (drop reason of the datagram)
 *   6 u8 nspans   7 u8 seen_last   8 u64 expires_ns   16 u16 span_lo[6]   28 u16 span_hi[6]
 *  40 u32 total (bytes of the datagram once the last piece came, else 0)   44 u32 pad */
struct pl_guard_frag {
    struct bpf_spin_lock lock;
    __u8 verdict;
    __u8 reason;
    __u8 nspans;
    __u8 seen_last;
    __u64 expires_ns;
    __u16 span_lo[PL_GUARD_FRAG_SPANS];
    __u16 span_hi[PL_GUARD_FRAG_SPANS];
    __u32 total;
    __u32 pad;
};

/* Rate-limit bucket key: the limiter's tag and the source prefix it groups by. 24 bytes. */
struct pl_guard_bucket_key {
    __u32 tag;
    __u8 family;
    __u8 prefix;
    __u16 pad;
    __u8 addr[16];
};

/* Rate-limit bucket (32 bytes): 0 u64 tat_pkt  8 u64 tat_bytes  16 u64 last_ns (last packet
 * seen: user space expires idle buckets)  24 u64 dropped (packets over the limit). */
struct pl_guard_bucket {
    __u64 tat_pkt;
    __u64 tat_bytes;
    __u64 last_ns;
    __u64 dropped;
};

/* Ban trie key: prefixlen counts the family byte (8 + prefix bits). 24 bytes (3 of padding). */
struct pl_guard_ban_key {
    __u32 prefixlen;
    __u8 family;
    __u8 addr[16];
};

/* Ban (16 bytes): 0 u64 expires_ns  8 u32 tag (the limiter that banned)  12 u32 pad. */
struct pl_guard_ban {
    __u64 expires_ns;
    __u32 tag;
    __u32 pad;
};

/* A slot of the dropped-source table, guard_drop_sources[hash(addr)], per CPU (for "top
 * dropped sources"). 40 bytes: 0 u8 family  4 u32 contest  8 addr[16]  24 u64 packets
 * 32 u64 bytes. Direct-mapped: a source hashes to one slot; the holder keeps it while it
 * draws at least as many drops as the rivals that hashed there since (contest), so heavy
 * sources stay and a spray of one-off spoofed sources passes through. Drops it does not
 * record are counted under PL_GC_SOURCES_FULL, so that recorded + unrecorded = dropped. */
struct pl_guard_source {
    __u8 family;
    __u8 pad[3];
    __u32 contest;
    __u8 addr[16];
    __u64 packets;
    __u64 bytes;
};

/* Counters by reason: guard_counters[reason], per CPU. Every packet the program sees is
 * counted in exactly one of PASSED, DROPPED and NOT_IP; every DROPPED packet in exactly one
 * PL_GC_DROP_* reason; in a dry run DROPPED packets are passed and also counted in
 * DRY_RUN_PASSED. The rest are events (table inserts, refusals that did not drop). */
enum pl_guard_counter {
    PL_GC_PASSED = 0,
    PL_GC_DROPPED = 1,
    PL_GC_NOT_IP = 2,
    PL_GC_DRY_RUN_PASSED = 3,
    PL_GC_DROP_RULE = 4,          /* a deny rule matched */
    PL_GC_DROP_DEFAULT = 5,       /* no rule decided; the default is deny */
    PL_GC_DROP_RATE = 6,          /* over its rate limit */
    PL_GC_DROP_BANNED = 7,        /* the source is banned */
    PL_GC_DROP_BUCKET_FULL = 8,   /* a rate-limited source with no bucket, and the table is full */
    PL_GC_DROP_BUCKET_RATE = 9,   /* ... and new buckets are over their insert rate */
    PL_GC_DROP_FRAG_TINY = 10,    /* a first fragment without the whole transport header */
    PL_GC_DROP_FRAG_OVERLAP = 11, /* a fragment overlapping one received before */
    PL_GC_DROP_FRAG_FOLLOW = 12,  /* a later fragment of a dropped datagram */
    PL_GC_DROP_FRAG_NO_FIRST = 13,/* a later fragment whose first fragment is unknown (fail-closed) */
    PL_GC_DROP_FRAG_FULL = 14,    /* a first fragment the full fragment table cannot remember (fail-closed) */
    PL_GC_DROP_FRAG_SPANS = 15,   /* more separate pieces than an entry tracks */
    PL_GC_DROP_FRAG_OVERSIZE = 16,/* a fragment ending beyond 65535 bytes, or shorter than its header */
    PL_GC_DROP_TRUNCATED = 17,    /* an IP frame that ends inside a header */
    PL_GC_DROP_MALFORMED = 18,    /* IP version / ethertype mismatch, IPv4 ihl < 5 */
    PL_GC_DROP_EXT_LIMIT = 19,    /* too many IPv6 extension headers to judge */
    PL_GC_FRAG_FULL_PASSED = 20,  /* fail-open: a first fragment passed that the full table could not remember */
    PL_GC_FRAG_NO_FIRST_PASSED = 21, /* fail-open: a later fragment passed with no first fragment known */
    PL_GC_FRAG_FOLLOW_PASSED = 22,/* a later fragment passed because its first fragment was */
    PL_GC_FRAGS_ADDED = 23,       /* datagrams entered in the fragment table */
    PL_GC_BUCKETS_ADDED = 24,     /* buckets created */
    PL_GC_BANS_ADDED = 25,        /* bans made */
    PL_GC_BAN_TABLE_FULL = 26,    /* bans the full ban table could not hold (the packet is dropped all the same) */
    PL_GC_EVENTS_SENT = 27,       /* drop samples submitted */
    PL_GC_EVENTS_LOST = 28,       /* drop samples the channel had no room for */
    PL_GC_SOURCES_FULL = 29,      /* drops the dropped-source table does not hold (a rival held the slot, or they were evicted) */
    PL_GC_MAX = 32,
};
#define PL_GC_FIRST_DROP PL_GC_DROP_RULE
#define PL_GC_LAST_DROP PL_GC_DROP_EXT_LIMIT

/* A sampled drop (1 in cfg_sample_every drops), over the guard_events channel. 32 bytes +
 * cap_len bytes of the frame:
 *   0 u64 ts_ns   8 u64 generation   16 u32 pkt_len   20 u16 rule (kernel index, 0xffff none)
 *  22 u8 reason   23 u8 slot   24 u16 cap_len   26 u8 family   27 u8 proto   28 u32 ifindex
 *  32 u8 data[PL_GUARD_SAMPLE_BYTES] */
struct pl_guard_event {
    __u64 ts_ns;
    __u64 generation;
    __u32 pkt_len;
    __u16 rule;
    __u8 reason;
    __u8 slot;
    __u16 cap_len;
    __u8 family;
    __u8 proto;
    __u32 ifindex;
    __u8 data[PL_GUARD_SAMPLE_BYTES];
};

/* guard_rule_names' value: which rule of the file a kernel rule came from, so that a reader in
 * another process (packetlens guard status) can sum the counters by rule. Written by user space at
 * install; the program never reads it. */
struct pl_guard_rule_name {
    __u32 rule;      /* index of the rule in the file, by priority; PL_GUARD_NO_NAME for an unused slot */
    __s32 priority;
    char name[64];   /* NUL-terminated */
};
#define PL_GUARD_NO_NAME 0xffffffff

#endif
