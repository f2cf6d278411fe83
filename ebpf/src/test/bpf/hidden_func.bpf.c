// A global function with hidden visibility that stores through its pointer argument without a
// null check, as libbpf's usdt.bpf.h does in bpf_usdt_arg: verified alone (global linkage) the
// store is refused, since the pointer may be null; libbpf gives such functions static linkage in
// the BTF, so the verifier checks them in their caller's context, and so must the loader.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__attribute__((visibility("hidden"))) __noinline int pl_hidden_store(struct xdp_md *ctx, long *res)
{
    *res = (long)(ctx->data_end - ctx->data);
    return 0;
}

SEC("xdp")
int xdp_hidden(struct xdp_md *ctx)
{
    long len = 0;
    pl_hidden_store(ctx, &len);
    return len == 64 ? XDP_PASS : XDP_DROP;
}
