// Test object for the loader: BTF-defined maps of several types, global data in
// .rodata/.data/.bss, a .text subprogram called from two programs, and an XDP program
// whose behaviour depends on a .rodata constant set from Java before load.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} verdicts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} percpu_packets SEC(".maps");

struct port_stats {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u16);
    __type(value, struct port_stats);
} by_port SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 128);
    __type(key, __u32);
    __type(value, __u64);
} lru SEC(".maps");

struct lpm_v4_key {
    __u32 prefixlen;
    __u32 addr;
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 256);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct lpm_v4_key);
    __type(value, __u32);
} prefixes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, __u32);
    __type(value, __u32);
} pinned_cfg SEC(".maps");

/* Configuration from user space: set before load, constant to the verifier. */
const volatile __u16 blocked_port = 0;
const volatile __u32 magic = 0;

/* Plain global state. */
__u64 packets_seen = 0;      /* .bss */
__u64 last_len = 7;          /* .data */

static __attribute__((noinline)) int count_verdict(__u32 verdict)
{
    __u64 *v = bpf_map_lookup_elem(&verdicts, &verdict);
    if (v)
        __sync_fetch_and_add(v, 1);
    return verdict;
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    __u32 zero = 0;
    __u64 *pc = bpf_map_lookup_elem(&percpu_packets, &zero);
    if (pc)
        *pc += 1;
    __sync_fetch_and_add(&packets_seen, 1);
    last_len = end - data;

    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return count_verdict(XDP_ABORTED);
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return count_verdict(XDP_PASS);
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
        return count_verdict(XDP_PASS);
    struct udphdr *udp = (void *)ip + ip->ihl * 4;
    if ((void *)(udp + 1) > end)
        return count_verdict(XDP_PASS);
    __u16 port = bpf_ntohs(udp->dest);
    struct port_stats *ps = bpf_map_lookup_elem(&by_port, &port);
    if (ps) {
        __sync_fetch_and_add(&ps->packets, 1);
        __sync_fetch_and_add(&ps->bytes, end - data);
    } else {
        struct port_stats init = { .packets = 1, .bytes = end - data };
        bpf_map_update_elem(&by_port, &port, &init, BPF_NOEXIST);
    }
    if (blocked_port && port == blocked_port)
        return count_verdict(XDP_DROP);
    return count_verdict(XDP_PASS);
}

/* Returns magic from .rodata, so a test can see the constant the program was loaded with. */
SEC("xdp")
int xdp_magic(struct xdp_md *ctx)
{
    count_verdict(XDP_PASS);
    return magic == 0x5eed ? XDP_TX : XDP_PASS;
}

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
    __u32 k = skb->len;
    __u64 one = 1;
    bpf_map_update_elem(&lru, &k, &one, BPF_ANY);
    struct lpm_v4_key key = { .prefixlen = 32, .addr = skb->mark };
    __u32 *hit = bpf_map_lookup_elem(&prefixes, &key);
    __u32 pk = 0;
    __u32 *cfg = bpf_map_lookup_elem(&pinned_cfg, &pk);
    return (hit ? *hit : 0) + (cfg ? *cfg : 0);
}

/* bpf_loop with a callback: clang 14 emits the callback's address as an ld_imm64 with src 0 and
 * a relocation against .text, which the loader must turn into BPF_PSEUDO_FUNC. */
struct loop_ctx {
    __u32 sum;
};

static long loop_step(__u32 i, void *ctx)
{
    struct loop_ctx *c = ctx;
    c->sum += i;
    return 0;
}

SEC("xdp")
int xdp_loop(struct xdp_md *ctx)
{
    struct loop_ctx c = {};
    bpf_loop(10, loop_step, &c, 0);
    return c.sum == 45 ? XDP_PASS : XDP_DROP;
}
