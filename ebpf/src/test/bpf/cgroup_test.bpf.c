// cgroup_skb counters for the attach tests: packets and bytes of the sockets of the
// processes in one cgroup, per direction. Every packet is allowed (return 1).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct counter {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct counter);
} cgroup_counts SEC(".maps"); /* [0] ingress, [1] egress */

static __always_inline int count(struct __sk_buff *skb, __u32 slot)
{
    struct counter *c = bpf_map_lookup_elem(&cgroup_counts, &slot);
    if (c) {
        __sync_fetch_and_add(&c->packets, 1);
        __sync_fetch_and_add(&c->bytes, skb->len);
    }
    return 1;
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
    return count(skb, 0);
}

SEC("cgroup_skb/egress")
int cg_egress(struct __sk_buff *skb)
{
    return count(skb, 1);
}
