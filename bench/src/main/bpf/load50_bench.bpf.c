// The load benchmark's many-program object: 50 XDP programs, each parsing the Ethernet and IP
// headers and counting into a shared per-CPU array, so that each takes the verifier a few
// hundred instructions, as small real programs do.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

static __always_inline int count(struct xdp_md *ctx, __u32 slot)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return XDP_PASS;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > end)
            return XDP_PASS;
        slot += ip->protocol & 7;
    }
    __u32 k = slot & 63;
    __u64 *v = bpf_map_lookup_elem(&counts, &k);
    if (v)
        *v += 1;
    return XDP_PASS;
}

#define PROG(n) SEC("xdp") int prog_##n(struct xdp_md *ctx) { return count(ctx, n); }
#define TEN(d) PROG(d##0) PROG(d##1) PROG(d##2) PROG(d##3) PROG(d##4) PROG(d##5) PROG(d##6) PROG(d##7) PROG(d##8) PROG(d##9)
TEN(1) TEN(2) TEN(3) TEN(4) TEN(5)
