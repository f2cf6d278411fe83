// Objects for the inspect, map dump, top and doctor tests: a hash map whose value has every
// kind of field the BTF formatter handles (integers, a char array, an enum, an array, bit
// fields, a bool), a per-CPU array, an LPM trie (no batch lookup: the key-walk path), global
// data, and XDP and TC programs to attach.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 ops_marker = 0;

enum ops_state { OPS_NEW = 1, OPS_ESTABLISHED = 2, OPS_CLOSED = 3 };

struct ops_key {
    __u32 addr;
    __u16 port;
    __u8 proto;
    __u8 pad;
};

struct ops_value {
    __u64 packets;
    __u64 bytes;
    char ifname[16];
    enum ops_state state;
    __s32 delta;
    __u16 ports[2];
    __u8 flags : 3, kind : 5;
    _Bool seen;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, struct ops_key);
    __type(value, struct ops_value);
} ops_hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} ops_pcpu SEC(".maps");

struct ops_lpm_key {
    __u32 prefixlen;
    __u32 addr;
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 64);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct ops_lpm_key);
    __type(value, __u32);
} ops_lpm SEC(".maps");

SEC("xdp")
int ops_xdp(struct xdp_md *ctx)
{
    __u32 slot = 0;
    __u64 *n = bpf_map_lookup_elem(&ops_pcpu, &slot);
    if (n)
        *n += 1;
    struct ops_key k = {.addr = ops_marker};
    struct ops_value *v = bpf_map_lookup_elem(&ops_hash, &k);
    if (v)
        v->packets++;
    struct ops_lpm_key lk = {.prefixlen = 32, .addr = ops_marker};
    bpf_map_lookup_elem(&ops_lpm, &lk);
    return XDP_PASS;
}

SEC("tc")
int ops_tc_in(struct __sk_buff *skb)
{
    return -1; /* TC_ACT_UNSPEC: the next program runs */
}

SEC("tc")
int ops_tc_out(struct __sk_buff *skb)
{
    return -1;
}

SEC("cgroup_skb/ingress")
int ops_cgroup(struct __sk_buff *skb)
{
    return 1;
}
