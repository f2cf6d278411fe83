// The program whose global function freplace_ext.bpf.c replaces: decide() passes every frame.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__attribute__((noinline)) int decide(struct xdp_md *ctx)
{
    return ctx->data_end > ctx->data ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int replaceable(struct xdp_md *ctx)
{
    return decide(ctx);
}
