// Structs with C padding and alignment, used as map keys and values so that their layout
// (in BTF, as clang computed it) can be compared with Codec.ofRecord's.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct mixed { __u8 a; __u64 b; };                 /* a, 7 bytes padding, b: 16 */
struct tail { __u64 a; __u8 b; };                  /* trailing padding: 16 */
struct inner { __u16 x; __u32 y; };                /* 8 */
struct outer {
    __u8 tag;
    struct inner in;                               /* aligned to 4 */
    __u8 mac[6];
    __u64 n;                                       /* aligned to 8 */
    __u16 port_be;                                 /* network order, as C code would keep a port */
};
struct flow_key {                                  /* 13 bytes of fields, 3 of trailing padding */
    __u32 saddr;
    __u32 daddr;
    __u16 sport;
    __u16 dport;
    __u8 proto;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, struct mixed);
} mixed_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, struct tail);
} tail_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, struct outer);
} outer_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, struct flow_key);
    __type(value, __u64);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 16);
    __type(key, struct flow_key);
    __type(value, struct inner);
} percpu_flows SEC(".maps");

/* Counts a fixed flow key built in C: finds the entry Java wrote only if Java laid the key out (padding included) as C does. */
SEC("xdp")
int xdp_count_flow(struct xdp_md *ctx)
{
    struct flow_key k;
    __builtin_memset(&k, 0, sizeof(k)); /* padding too: the kernel hashes all 16 bytes */
    k.saddr = bpf_htonl(0x0a000001);
    k.daddr = bpf_htonl(0x0a000002);
    k.sport = bpf_htons(40000);
    k.dport = bpf_htons(53);
    k.proto = 17;
    __u64 *v = bpf_map_lookup_elem(&flows, &k);
    if (v)
        __sync_fetch_and_add(v, 1);
    return XDP_PASS;
}
