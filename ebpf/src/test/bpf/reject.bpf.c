// A program the verifier must reject: it reads the packet without a bounds check.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_unchecked(struct xdp_md *ctx)
{
    unsigned char *data = (void *)(long)ctx->data;
    return data[20] == 0x11 ? XDP_DROP : XDP_PASS; /* no data_end check */
}
