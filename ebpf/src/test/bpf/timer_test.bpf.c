// A BPF timer and a spin lock in map values: an XDP program (not a sleepable SYSCALL one: 6.1
// refuses spin locks in sleepable programs) arms a timer in an array element,
// counting its arms under the element's spin lock; the timer's callback (a function pointer the
// loader marks BPF_PSEUDO_FUNC) counts its firing; the test waits for it from Java.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define CLOCK_MONOTONIC 1

struct elem {
    struct bpf_timer timer;
    struct bpf_spin_lock lock;
    __u32 arms;   /* under the lock */
    __u64 fired;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct elem);
} timers SEC(".maps");

__u64 armed = 0;

/* an atomic, not the lock: 6.1's verifier loses track of a spin lock taken in a timer callback */
static int on_timer(void *map, __u32 *key, struct elem *e)
{
    __sync_fetch_and_add(&e->fired, 1);
    return 0;
}

SEC("xdp")
int arm(struct xdp_md *ctx)
{
    __u32 k = 0;
    struct elem *e = bpf_map_lookup_elem(&timers, &k);
    if (!e)
        return XDP_ABORTED;
    bpf_spin_lock(&e->lock);
    e->arms += 1;
    bpf_spin_unlock(&e->lock);
    bpf_timer_init(&e->timer, &timers, CLOCK_MONOTONIC);
    bpf_timer_set_callback(&e->timer, on_timer);
    if (bpf_timer_start(&e->timer, 1000000 /* 1 ms */, 0))
        return XDP_DROP;
    armed += 1;
    return XDP_PASS;
}
