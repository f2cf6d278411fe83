// Global data in several sections, as libbpf allows: .rodata and a custom .rodata.config, .data
// and a custom .data.stats, .bss. Each becomes its own array map; the program copies the
// constants into the writable sections so the test can see it read the right ones.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 plain_const = 11;
const volatile __u32 config_limit SEC(".rodata.config") = 22;
__u64 plain_data = 33;
__u64 stats_total SEC(".data.stats") = 44;
__u64 zeroed = 0;

SEC("xdp")
int copy_sections(struct xdp_md *ctx)
{
    plain_data = plain_const;
    stats_total += config_limit;
    zeroed = plain_const + config_limit;
    return XDP_PASS;
}
