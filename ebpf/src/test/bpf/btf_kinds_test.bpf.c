// BTF kinds that older kernels refuse: a decl tag on a variable and a function, a type tag on a
// pointer, and a float. The loader rewrites them into kinds such kernels take (BtfSanitizer).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __ttag(x) __attribute__((btf_type_tag(x)))

__u64 tagged_counter __tag("counter") = 0;
float ratio = 0.5f;
int __ttag("percpu") *tagged_ptr = 0;

__attribute__((noinline)) __tag("helper") int twice(int x)
{
    return x * 2;
}

SEC("xdp")
int kinds(struct xdp_md *ctx)
{
    tagged_counter += twice(1);
    return tagged_ptr ? XDP_DROP : XDP_PASS;
}
