// CO-RE: an iterator over every task that reads struct task_struct through local declarations
// that know only the fields they use, at made-up offsets, and leaves the layout to the loader's
// relocations against the running kernel's BTF. It exercises field offsets as load offsets (a
// direct read through the iterator's BTF pointer) and as immediates (bpf_probe_read_kernel via
// BPF_CORE_READ), a field whose size differs from the kernel's (flags: local u64, kernel u32), a
// flavour (task_struct___flavour), a bitfield (byte offset, size and shifts), field existence
// guarding a read of a field no kernel has (poisoned, and dead code), field and type sizes, type
// existence and an enum value. One line per task; the test checks them against /proc.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct {
    unsigned long flags; /* unsigned int in the kernel: the load is narrowed */
    int pid;
    int tgid;
    struct task_struct *real_parent;
    unsigned int sched_reset_on_fork : 1;
    int no_such_field_in_any_kernel;
} __attribute__((preserve_access_index));

/* the same kernel struct under another local layout */
struct task_struct___flavour {
    long padding[3];
    int tgid;
} __attribute__((preserve_access_index));

/* made-up values: the kernel's PIDTYPE_TGID is relocated in */
enum pid_type {
    PIDTYPE_SID = 7,
    PIDTYPE_TGID = 9,
};

struct bpf_iter_meta {
    struct seq_file *seq;
    __u64 session_id;
    __u64 seq_num;
};
struct bpf_iter__task {
    struct bpf_iter_meta *meta;
    struct task_struct *task;
};

SEC("iter/task")
int core_tasks(struct bpf_iter__task *ctx)
{
    struct seq_file *seq = ctx->meta->seq;
    struct task_struct *t = ctx->task;
    if (!t)
        return 0;
    int pid = t->pid;                                   /* direct load: off relocated */
    int tgid = BPF_CORE_READ(t, tgid);                  /* probe read: immediate relocated */
    int ppid = BPF_CORE_READ(t, real_parent, tgid);
    int tgid2 = BPF_CORE_READ((struct task_struct___flavour *)t, tgid);
    __u64 flags = t->flags;
    int exists = bpf_core_field_exists(t->no_such_field_in_any_kernel);
    int bogus = -1;
    if (exists)
        bogus = BPF_CORE_READ(t, no_such_field_in_any_kernel);
    int reset = BPF_CORE_READ_BITFIELD_PROBED(t, sched_reset_on_fork);
    __u32 pid_size = bpf_core_field_size(t->pid);
    __u64 tgid_type = bpf_core_enum_value(enum pid_type, PIDTYPE_TGID);
    int type_exists = bpf_core_type_exists(struct task_struct);
    __u32 type_size = bpf_core_type_size(struct task_struct);
    BPF_SEQ_PRINTF(seq, "%d %d %d %d %llu %d %d %d %u %llu %d %u\n", pid, tgid, ppid, tgid2, flags, exists, bogus,
                   reset, pid_size, tgid_type, type_exists, type_size);
    return 0;
}
