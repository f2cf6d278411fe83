// The flow cache experiment of the flow benchmarks (scripts/bench-flows.sh, row reference-cache):
// the reference's parse and 5-tuple key (flow_reference.bpf.c), counted into a per-CPU,
// two-way set-associative cache in a BPF_F_MMAPABLE array instead of a per-CPU hash. A set is
// one 64-byte line of two 32-byte slots (key, packets, bytes): a lookup touches one line, where
// the hash touches its bucket, its element and the element's per-CPU value. A flow that finds its
// set full evicts the slot with fewer packets to the ring buffer; when the ring has no room the
// eviction is counted lost. The counters (cache_stats, per CPU): hits, inserts into an empty slot,
// evictions sent, evictions lost. iproute2 attaches it and nothing reads the ring, so the ring is
// made large enough (64 MiB: 1.6 million 40-byte records) for every eviction of one benchmark run
// to be a real write, as with a reader keeping up; "evictions lost" says when it was not.
#include "flow_reference.h"

char LICENSE[] SEC("license") = "GPL";

#ifndef CACHE_CPUS
#define CACHE_CPUS 2
#endif
/* sets per CPU (log2): two slots each; 16 gives twice the benchmark's 65,536 flows in slots */
#ifndef CACHE_SET_BITS
#define CACHE_SET_BITS 16
#endif
#define CACHE_SETS (1u << CACHE_SET_BITS)

struct cache_slot {
    struct ref_key key;
    __u64 packets, bytes;
};

struct cache_set {
    struct cache_slot way[2];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, CACHE_CPUS * CACHE_SETS);
    __type(key, __u32);
    __type(value, struct cache_set);
} cache_sets SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 64 * 1024 * 1024);
} cache_evicted SEC(".maps");

enum { STAT_HIT, STAT_INSERT, STAT_EVICT_SENT, STAT_EVICT_LOST, STAT_NO_SET, STAT_N };

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, STAT_N);
    __type(key, __u32);
    __type(value, __u64);
} cache_stats SEC(".maps");

static __always_inline void stat(__u32 i)
{
    __u64 *c = bpf_map_lookup_elem(&cache_stats, &i);
    if (c)
        *c += 1;
}

static __always_inline int same(const struct cache_slot *s, const struct ref_key *k)
{
    const __u64 *a = (const __u64 *)&s->key, *b = (const __u64 *)k;
    return a[0] == b[0] && a[1] == b[1];
}

SEC("xdp")
int flow_cache_reference(struct xdp_md *ctx)
{
    struct ref_key k;
    __u64 len;
    if (ref_parse(ctx, &k, &len))
        return XDP_PASS;
    /* a 64-bit mix of the key's two words (murmur3's finalizer): the set is its top bits */
    const __u64 *w = (const __u64 *)&k;
    __u64 h = w[0] ^ (w[1] * 0x9E3779B97F4A7C15ULL);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    __u32 idx = bpf_get_smp_processor_id() * CACHE_SETS + (__u32)(h >> (64 - CACHE_SET_BITS));
    struct cache_set *set = bpf_map_lookup_elem(&cache_sets, &idx);
    if (!set) {
        stat(STAT_NO_SET);
        return XDP_PASS;
    }
    struct cache_slot *s0 = &set->way[0], *s1 = &set->way[1];
    if (s0->packets && same(s0, &k)) {
        s0->packets++;
        s0->bytes += len;
        stat(STAT_HIT);
        return XDP_PASS;
    }
    if (s1->packets && same(s1, &k)) {
        s1->packets++;
        s1->bytes += len;
        stat(STAT_HIT);
        return XDP_PASS;
    }
    struct cache_slot *victim = !s0->packets ? s0 : !s1->packets ? s1 : s0->packets <= s1->packets ? s0 : s1;
    if (victim->packets) {
        if (bpf_ringbuf_output(&cache_evicted, victim, sizeof(*victim), 0))
            stat(STAT_EVICT_LOST);
        else
            stat(STAT_EVICT_SENT);
    } else {
        stat(STAT_INSERT);
    }
    __builtin_memcpy(&victim->key, &k, sizeof(k));
    victim->packets = 1;
    victim->bytes = len;
    return XDP_PASS;
}
