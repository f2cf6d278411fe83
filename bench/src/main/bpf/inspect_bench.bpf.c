// The map of the inspect-map benchmark (scripts/bench-inspect.sh): a hash of flow-shaped
// entries whose value has the kinds of field the BTF formatter handles (integers, a char
// array, an enum, an array, bit fields, a bool), so both `packetlens inspect map` and
// `bpftool map dump` format every field from the same BTF.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

enum bench_state { BENCH_NEW = 1, BENCH_ESTABLISHED = 2, BENCH_CLOSED = 3 };

struct bench_key {
    __u32 addr;
    __u16 port;
    __u8 proto;
    __u8 pad;
};

struct bench_value {
    __u64 packets;
    __u64 bytes;
    char ifname[16];
    enum bench_state state;
    __s32 delta;
    __u16 ports[2];
    __u8 flags : 3, kind : 5;
    _Bool seen;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1 << 20);
    __type(key, struct bench_key);
    __type(value, struct bench_value);
} pl_bench_inspect SEC(".maps");

/* references the map so the object has a program to load with it */
SEC("xdp")
int bench_inspect_touch(struct xdp_md *ctx)
{
    struct bench_key k = {};
    struct bench_value *v = bpf_map_lookup_elem(&pl_bench_inspect, &k);
    if (v)
        v->packets++;
    return XDP_PASS;
}
