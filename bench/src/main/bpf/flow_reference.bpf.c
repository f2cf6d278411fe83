// The reference of the flow benchmarks (scripts/bench-flows.sh): the least a flow counter at XDP
// can do. Ethernet, IPv4, UDP or TCP ports, a 5-tuple key in a per-CPU hash, packets and bytes
// added in place (one CPU per entry: no atomics). No VLANs, no IPv6, no tunnels, no "other" table,
// no loss counters: what the flow program does on top of this is what its extra cost buys.
#include "flow_reference.h"

char LICENSE[] SEC("license") = "GPL";

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
    struct ref_key k;
    __u64 len;
    if (ref_parse(ctx, &k, &len))
        return XDP_PASS;
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
