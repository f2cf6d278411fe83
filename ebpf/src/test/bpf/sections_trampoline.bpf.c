// Programs that attach by BTF id through a BPF trampoline: fentry and fexit on the getpid system
// call's body, and an LSM hook. Counters in .bss count only the test process (target_tgid).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

__u32 target_tgid = 0;
__u64 fentry_hits = 0;
__u64 fexit_hits = 0;
__s64 fexit_ret = 0;
__u64 file_opens = 0;

static __always_inline int mine(void)
{
    return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("fentry/__do_sys_getpid")
int BPF_PROG(getpid_entry)
{
    if (mine())
        __sync_fetch_and_add(&fentry_hits, 1);
    return 0;
}

SEC("fexit/__do_sys_getpid")
int getpid_exit(__u64 *ctx)
{
    /* the return value by helper: the function's BTF has no parameters on some kernels and the
     * wrapper's pt_regs on others, so its place in ctx differs */
    __u64 ret = 0;
    if (mine()) {
        __sync_fetch_and_add(&fexit_hits, 1);
        bpf_get_func_ret(ctx, &ret);
        fexit_ret = ret;
    }
    return 0;
}

SEC("lsm/file_open")
int BPF_PROG(file_open, void *file, int ret)
{
    if (mine())
        __sync_fetch_and_add(&file_opens, 1);
    return ret;
}

