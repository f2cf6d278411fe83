// TC programs for the attach tests: count UDP datagrams to one port, one program per
// direction, and pass everything on (TC_ACT_UNSPEC: the next program runs, as TCX_NEXT).
#include "udp_port.h"
#include <linux/pkt_cls.h>

char LICENSE[] SEC("license") = "GPL";

/* The UDP destination port to count; set from Java before load. */
const volatile __u16 tc_port = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} tc_counts SEC(".maps"); /* [0] seen at ingress, [1] seen at egress */

static __always_inline int count_if_port(struct __sk_buff *skb, __u32 slot)
{
    if (udp_dst_port((void *)(long)skb->data, (void *)(long)skb->data_end) == tc_port) {
        __u64 *v = bpf_map_lookup_elem(&tc_counts, &slot);
        if (v)
            __sync_fetch_and_add(v, 1);
    }
    return TC_ACT_UNSPEC;
}

SEC("tc")
int tc_ingress_count(struct __sk_buff *skb)
{
    return count_if_port(skb, 0);
}

SEC("tc")
int tc_egress_count(struct __sk_buff *skb)
{
    return count_if_port(skb, 1);
}

/* Drops UDP to tc_port: shows that the verdict of a direct-action filter / tcx program takes effect. */
SEC("tc")
int tc_drop_port(struct __sk_buff *skb)
{
    if (udp_dst_port((void *)(long)skb->data, (void *)(long)skb->data_end) == tc_port)
        return TC_ACT_SHOT;
    return TC_ACT_UNSPEC;
}

SEC("tc")
int tc_next_a(struct __sk_buff *skb)
{
    return TC_ACT_UNSPEC;
}

SEC("tc")
int tc_next_b(struct __sk_buff *skb)
{
    return TC_ACT_UNSPEC;
}

SEC("tc")
int tc_next_c(struct __sk_buff *skb)
{
    return TC_ACT_UNSPEC;
}
