// Maps that hold other objects, with initial values set the libbpf way (.values = { [i] = &x }):
// an array of maps whose slot 0 starts as inner_a (the test swaps in inner_b from Java), and a
// program array whose slot 1 is a tail-call target. Plus a callback through
// bpf_for_each_map_elem that sums an array.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner);
} outer SEC(".maps") = {
    .values = { [0] = &inner_a },
};

int tail_target(struct xdp_md *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __uint(key_size, sizeof(__u32));
    __array(values, int (void *));
} jumps SEC(".maps") = {
    .values = { [1] = (void *)&tail_target },
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} numbers SEC(".maps");

__u64 sum = 0;

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
    return XDP_DROP;
}

/* Counts into outer[0]'s map, then tail-calls jumps[1]; XDP_PASS only when the tail call fails. */
SEC("xdp")
int entry(struct xdp_md *ctx)
{
    __u32 k = 0;
    void *in = bpf_map_lookup_elem(&outer, &k);
    if (in) {
        __u64 *v = bpf_map_lookup_elem(in, &k);
        if (v)
            __sync_fetch_and_add(v, 1);
    }
    bpf_tail_call(ctx, &jumps, 1);
    return XDP_PASS;
}

static long add_one(void *map, __u32 *key, __u64 *value, __u64 *total)
{
    *total += *value;
    return 0;
}

SEC("xdp")
int sum_numbers(struct xdp_md *ctx)
{
    __u64 total = 0;
    bpf_for_each_map_elem(&numbers, add_one, &total, 0);
    sum = total;
    return XDP_PASS;
}

/* An array user space maps into its memory (BPF_F_MMAPABLE): the program counts in element 0 and
 * copies element 1, which Java writes, into element 2. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 3);
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, __u64);
} shared SEC(".maps");

SEC("xdp")
int use_shared(struct xdp_md *ctx)
{
    __u32 k0 = 0, k1 = 1, k2 = 2;
    __u64 *count = bpf_map_lookup_elem(&shared, &k0);
    __u64 *in = bpf_map_lookup_elem(&shared, &k1);
    __u64 *out = bpf_map_lookup_elem(&shared, &k2);
    if (count && in && out) {
        __sync_fetch_and_add(count, 1);
        *out = *in;
    }
    return XDP_PASS;
}
