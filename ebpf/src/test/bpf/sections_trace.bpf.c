// Programs that attach by BTF id without a BPF trampoline: tp_btf on raw_syscalls:sys_enter, and
// an iterator over every task (printing each one's tgid and pid). The counter in .bss counts only the test
// process (target_tgid, set from Java), so other processes' system calls do not disturb it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* The iterator contexts, as the kernel declares them (bpf_iter.h): stable layouts of pointers. */
struct bpf_iter_meta {
    struct seq_file *seq;
    __u64 session_id;
    __u64 seq_num;
};
struct bpf_iter__task {
    struct bpf_iter_meta *meta;
    void *task;
};

__u32 target_tgid = 0;
__u64 sys_enter_getpid = 0;

/* struct task_struct's tgid and pid offsets on this kernel, from its BTF (set from Java) */
const volatile __u32 task_tgid_off = 0;
const volatile __u32 task_pid_off = 0;

static __always_inline int mine(void)
{
    return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, void *regs, long id)
{
    if (mine() && id == 39 /* __NR_getpid on x86_64 */)
        __sync_fetch_and_add(&sys_enter_getpid, 1);
    return 0;
}

SEC("iter/task")
int dump_tasks(struct bpf_iter__task *ctx)
{
    struct seq_file *seq = ctx->meta->seq;
    void *task = ctx->task;
    __s32 tgid = 0, pid = 0;
    if (!task)
        return 0;
    bpf_probe_read_kernel(&tgid, sizeof(tgid), task + task_tgid_off);
    bpf_probe_read_kernel(&pid, sizeof(pid), task + task_pid_off);
    BPF_SEQ_PRINTF(seq, "%d %d\n", tgid, pid);
    return 0;
}
