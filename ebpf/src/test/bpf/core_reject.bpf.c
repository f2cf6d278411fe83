// CO-RE: a read of a field no kernel has, without a bpf_core_field_exists() guard. The loader
// poisons the instruction and the verifier must refuse it, naming the poison call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct {
    int no_such_field_in_any_kernel;
} __attribute__((preserve_access_index));

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
int core_unguarded(struct bpf_iter__task *ctx)
{
    struct task_struct *t = ctx->task;
    if (!t)
        return 0;
    int v = BPF_CORE_READ(t, no_such_field_in_any_kernel);
    BPF_SEQ_PRINTF(ctx->meta->seq, "%d\n", v);
    return 0;
}
