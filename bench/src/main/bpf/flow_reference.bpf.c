// The reference of the flow benchmarks (scripts/bench-flows.sh): the least a flow counter at XDP
// can do. Ethernet, IPv4, UDP or TCP ports, a 5-tuple key in a per-CPU hash, packets and bytes
// added in place (one CPU per entry: no atomics). No VLANs, no IPv6, no tunnels, no "other" table,
// no loss counters: what the flow program does on top of this is what its extra cost buys.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct ref_key {
    __u32 saddr, daddr;
    __u16 sport, dport;
    __u8 proto, pad[3];
};

struct ref_count {
    __u64 packets, bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct ref_key);
    __type(value, struct ref_count);
} ref_flows SEC(".maps");

SEC("xdp")
int flow_reference(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->ihl < 5)
        return XDP_PASS;
    struct ref_key k = {.saddr = ip->saddr, .daddr = ip->daddr, .proto = ip->protocol};
    if (ip->protocol == IPPROTO_UDP || ip->protocol == IPPROTO_TCP) {
        __u16 *ports = (void *)ip + ip->ihl * 4;
        if ((void *)(ports + 2) > end)
            return XDP_PASS;
        k.sport = ports[0];
        k.dport = ports[1];
    }
    __u64 len = end - data;
    struct ref_count *c = bpf_map_lookup_elem(&ref_flows, &k);
    if (c) {
        c->packets++;
        c->bytes += len;
    } else {
        struct ref_count n = {1, len};
        bpf_map_update_elem(&ref_flows, &k, &n, BPF_NOEXIST);
    }
    return XDP_PASS;
}
