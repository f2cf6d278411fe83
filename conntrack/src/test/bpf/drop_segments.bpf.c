// Forces TCP retransmissions where netem is not available: drops one in cfg_every IPv4 TCP
// packets that carry data to cfg_port, each sequence number at most once (so the segments of
// every drop are retransmitted once, and the sender's count can be compared with ours). At TC
// ingress; a GSO packet is dropped whole.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 cfg_every = 10;
const volatile __u16 cfg_port = 0;

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u32);
    __type(value, __u8);
} dropped_seqs SEC(".maps");

__u64 seen = 0;
__u64 dropped = 0;

SEC("tc")
int drop_segments(struct __sk_buff *skb)
{
    bpf_skb_pull_data(skb, 128);
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return TC_ACT_UNSPEC;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP || ip->ihl != 5)
        return TC_ACT_UNSPEC;
    struct tcphdr *th = (void *)(ip + 1);
    if ((void *)(th + 1) > end || th->dest != bpf_htons(cfg_port))
        return TC_ACT_UNSPEC;
    __u32 payload = bpf_ntohs(ip->tot_len) - 20 - th->doff * 4;
    if (payload == 0 || payload > 65535)
        return TC_ACT_UNSPEC;
    __u32 seq = bpf_ntohl(th->seq);
    if (bpf_map_lookup_elem(&dropped_seqs, &seq))
        return TC_ACT_UNSPEC; /* dropped once already: this is its retransmission */
    __u64 n = __sync_fetch_and_add(&seen, 1);
    if (n % cfg_every != cfg_every - 1)
        return TC_ACT_UNSPEC;
    __u8 one = 1;
    if (bpf_map_update_elem(&dropped_seqs, &seq, &one, BPF_NOEXIST))
        return TC_ACT_UNSPEC;
    __sync_fetch_and_add(&dropped, 1);
    return TC_ACT_SHOT;
}
