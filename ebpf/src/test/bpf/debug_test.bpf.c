// Programs for KernelDebugLogTest: packetlens_debug.h's PL_DEBUG prints, each carrying a cookie the
// test puts in the first four bytes of the test-run frame, and, beside them, lines that are not
// this log's: an untagged bpf_printk and one with another reader's tag.
#define PL_DEBUG_PROG "dbgtest"
#include "packetlens_debug.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline __u32 cookie_of(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    if (data + 4 > end)
        return 0;
    return *(__u32 *)data;
}

/* The foreign lines first, then this log's own: once the own ones arrived, so would have the others. */
SEC("xdp")
int debug_print(struct xdp_md *ctx)
{
    __u32 cookie = cookie_of(ctx);
    bpf_printk("dbgtest untagged %u", cookie);
    bpf_printk("pl:%x:dbgtest: foreign tag %u", pl_debug ^ 0x5a5a, cookie);
    PL_DEBUG("cookie %u", cookie);                                  /* bpf_trace_printk */
    PL_DEBUG("cookie %u args %u %u %u", cookie, 1, 22, 333);        /* bpf_trace_vprintk */
    return XDP_PASS;
}

/* Only PL_DEBUG prints: with the switch off, nothing of them is left in the translated program. */
SEC("xdp")
int debug_quiet(struct xdp_md *ctx)
{
    __u32 cookie = cookie_of(ctx);
    if (cookie & 1)
        PL_DEBUG("odd cookie %u", cookie);
    else
        PL_DEBUG("even cookie %u of %u bytes %u", cookie, ctx->data_end - ctx->data, 7);
    return cookie & 2 ? XDP_DROP : XDP_PASS;
}
