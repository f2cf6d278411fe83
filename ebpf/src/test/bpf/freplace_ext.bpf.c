// An extension (freplace) of freplace_target.bpf.c's decide(): drops every frame.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("freplace/decide")
int decide(struct xdp_md *ctx)
{
    return XDP_DROP;
}
