// A uprobe and a uretprobe counting calls of a libc function by the test process (target_tgid),
// and a kprobe, which loads everywhere but attaches only where the kernel has kprobes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u32 target_tgid = 0;
__u64 entries = 0;
__u64 returns = 0;

static __always_inline int mine(void)
{
    return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("uprobe")
int on_entry(void *ctx)
{
    if (mine())
        __sync_fetch_and_add(&entries, 1);
    return 0;
}

SEC("uretprobe")
int on_return(void *ctx)
{
    if (mine())
        __sync_fetch_and_add(&returns, 1);
    return 0;
}

SEC("kprobe/__sys_connect")
int on_kprobe(void *ctx)
{
    return 0;
}
