// Tracing programs for the attach tests: skb:kfree_skb as a tracepoint and as a raw
// tracepoint, counting drops by (reason, skb length), and xdp:xdp_exception counting the
// exceptions of one XDP program on one interface by action. Field offsets of the
// tracepoint records and of struct sk_buff come from Java (tracefs format, kernel BTF)
// as .rodata constants, so nothing here depends on one kernel's layout.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 kfree_skbaddr_off = 0;
const volatile __u32 kfree_reason_off = 0;
const volatile __u32 skb_len_off = 0;
const volatile __u32 xdp_prog_id_off = 0;
const volatile __u32 xdp_act_off = 0;
const volatile __u32 xdp_ifindex_off = 0;
const volatile __s32 watch_ifindex = 0;
const volatile __u32 watch_prog_id = 0;

struct drop_key {
    __u32 reason;
    __u32 len;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, struct drop_key);
    __type(value, __u64);
} tp_drops SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, struct drop_key);
    __type(value, __u64);
} raw_drops SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} xdp_exceptions SEC(".maps"); /* by XDP action */

static __always_inline void count_drop(void *map, void *skb, __u32 reason)
{
    struct drop_key k = {.reason = reason};
    bpf_probe_read_kernel(&k.len, sizeof(k.len), (char *)skb + skb_len_off);
    __u64 one = 1;
    __u64 *v = bpf_map_lookup_elem(map, &k);
    if (v)
        __sync_fetch_and_add(v, 1);
    else
        bpf_map_update_elem(map, &k, &one, BPF_NOEXIST);
}

SEC("tracepoint/skb/kfree_skb")
int on_kfree_skb(void *ctx)
{
    void *skb = 0;
    __u32 reason = 0;
    bpf_probe_read_kernel(&skb, sizeof(skb), (char *)ctx + kfree_skbaddr_off);
    bpf_probe_read_kernel(&reason, sizeof(reason), (char *)ctx + kfree_reason_off);
    count_drop(&tp_drops, skb, reason);
    return 0;
}

/* raw tracepoint arguments of kfree_skb: (skb, location, reason, rx_sk) */
SEC("raw_tp/kfree_skb")
int raw_kfree_skb(struct bpf_raw_tracepoint_args *ctx)
{
    count_drop(&raw_drops, (void *)ctx->args[0], (__u32)ctx->args[2]);
    return 0;
}

SEC("tracepoint/xdp/xdp_exception")
int on_xdp_exception(void *ctx)
{
    __s32 ifindex = 0;
    __u32 prog_id = 0, act = 0;
    bpf_probe_read_kernel(&ifindex, sizeof(ifindex), (char *)ctx + xdp_ifindex_off);
    bpf_probe_read_kernel(&prog_id, sizeof(prog_id), (char *)ctx + xdp_prog_id_off);
    bpf_probe_read_kernel(&act, sizeof(act), (char *)ctx + xdp_act_off);
    if (ifindex != watch_ifindex || prog_id != watch_prog_id || act >= 8)
        return 0;
    __u64 *v = bpf_map_lookup_elem(&xdp_exceptions, &act);
    if (v)
        __sync_fetch_and_add(v, 1);
    return 0;
}
