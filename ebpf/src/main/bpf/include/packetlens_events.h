/* Kernel-to-user event channels for packetlens kernel programs: one source that runs over a
 * BPF ring buffer (kernel 5.8+) or a perf buffer (older kernels), with every lost record
 * counted per CPU so user space can report losses instead of going silent. It is the C half
 * of io.packetlens.ebpf.events and ships in the library's jar beside it
 * (io/packetlens/ebpf/events/packetlens_events.h); in this repository scripts/compile-bpf.sh
 * gets ebpf/src/main/bpf/include as an include directory.
 *
 * Declaring a channel:
 *     PL_EVENTS(events, 256 * 1024);      // ring size in bytes (power of two, page multiple)
 * declares the map `events` and its per-CPU loss counters `events_lost` (PL_LOST_SLOTS u64s).
 *
 * Emitting, zero-copy (size must be a compile-time constant):
 *     struct my_event *e = pl_reserve(events, sizeof(*e));
 *     if (!e) return XDP_PASS;             // already counted in events_lost
 *     e->... = ...;
 *     pl_submit(ctx, events, e, sizeof(*e));   // or pl_discard(events, e)
 * or by copy (size may vary, bounded for the verifier):
 *     pl_output(ctx, events, buf, len);
 * Bound `len` where every supported verifier sees it: right after computing it, before other
 * helper calls. The compiler keeps it on the stack across calls, and older verifiers (6.1) lose
 * a bound checked on a reloaded copy ("R3 unbounded memory access"); newer ones keep it.
 *
 * Ring buffer or perf buffer: by default the choice is made at LOAD time. The map is declared
 * as a ring buffer and the code for both channels is compiled in, selected by the read-only
 * global `pl_events_perfbuf`. The loader (Java: io.packetlens.ebpf.events.EventChannel) sets
 * that constant and, for the perf buffer, rewrites the map into a PERF_EVENT_ARRAY before
 * loading; the verifier then sees a constant condition and never visits (and strips) the
 * other channel's helper calls, so one object file runs on kernels with and without ring
 * buffers. Compiling with -DPL_USE_PERFBUF or -DPL_USE_RINGBUF instead fixes the channel at
 * build time (no rodata flag, the map declared with its final type).
 *
 * In perf-buffer mode pl_reserve hands out a per-CPU scratch buffer of PL_EVENT_MAX bytes
 * (define it before including this header to change it), so a program may hold only one
 * reservation at a time per CPU there; pl_submit copies it out with bpf_perf_event_output.
 */
#ifndef PACKETLENS_EVENTS_H
#define PACKETLENS_EVENTS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Loss counter slots in <name>_lost (per CPU). */
#define PL_LOST_NO_SPACE  0   /* ring full: reservation or output refused for lack of space */
#define PL_LOST_NO_READER 1   /* perf: no enabled reader ring on this CPU (not opened, or paused) */
#define PL_LOST_TOO_BIG   2   /* record larger than the channel accepts (PL_EVENT_MAX in perf mode) */
#define PL_LOST_OTHER     3   /* any other helper failure */
#define PL_LOST_SLOTS     4

#ifndef PL_EVENT_MAX
#define PL_EVENT_MAX 1024
#endif

/* Wakeup flags passed to bpf_ringbuf_submit/output: 0 is the kernel's adaptive policy (wake the
 * reader only when it has caught up), BPF_RB_NO_WAKEUP / BPF_RB_FORCE_WAKEUP override it. */
#ifndef PL_SUBMIT_FLAGS
#define PL_SUBMIT_FLAGS 0
#endif

#define PL_ENOSPC 28
#define PL_ENOENT 2
#define PL_E2BIG 7
#define PL_EOPNOTSUPP 95

#if defined(PL_USE_PERFBUF)
#define pl_perfbuf() 1
#define PL_EVENTS_SHAPE(ring_bytes) \
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, sizeof(__u32)); __uint(value_size, sizeof(__u32));
#elif defined(PL_USE_RINGBUF)
#define pl_perfbuf() 0
#define PL_EVENTS_SHAPE(ring_bytes) __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, ring_bytes);
#else
/* Set by the loader before load; constant to the verifier once .rodata is frozen. */
const volatile __u32 pl_events_perfbuf = 0;
#define pl_perfbuf() (pl_events_perfbuf)
#define PL_EVENTS_SHAPE(ring_bytes) __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, ring_bytes);
#endif

#define PL_EVENTS(name, ring_bytes)                      \
    struct {                                             \
        PL_EVENTS_SHAPE(ring_bytes)                      \
    } name SEC(".maps");                                 \
    struct {                                             \
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);         \
        __uint(max_entries, PL_LOST_SLOTS);              \
        __type(key, __u32);                              \
        __type(value, __u64);                            \
    } name##_lost SEC(".maps")

/* Per-CPU staging area for perf-mode reservations (unused, and tiny, in ring mode). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __uint(value_size, PL_EVENT_MAX);
} pl_event_scratch SEC(".maps");

static __always_inline void pl_count_lost(void *lost, __u32 slot)
{
    __u64 *c = bpf_map_lookup_elem(lost, &slot);
    if (c)
        *c += 1; /* per-CPU slot: no other CPU writes it */
}

static __always_inline void pl_count_perf_error(void *lost, long err)
{
    if (err == -PL_ENOSPC)
        pl_count_lost(lost, PL_LOST_NO_SPACE);
    else if (err == -PL_ENOENT || err == -PL_EOPNOTSUPP)
        pl_count_lost(lost, PL_LOST_NO_READER);
    else if (err == -PL_E2BIG)
        pl_count_lost(lost, PL_LOST_TOO_BIG);
    else
        pl_count_lost(lost, PL_LOST_OTHER);
}

static __always_inline void *pl_reserve_(void *map, void *lost, __u64 size)
{
    if (pl_perfbuf()) {
        __u32 zero = 0;
        if (size > PL_EVENT_MAX) {
            pl_count_lost(lost, PL_LOST_TOO_BIG);
            return 0;
        }
        return bpf_map_lookup_elem(&pl_event_scratch, &zero);
    }
    void *rec = bpf_ringbuf_reserve(map, size, 0);
    if (!rec)
        pl_count_lost(lost, PL_LOST_NO_SPACE);
    return rec;
}

/* Returns 0, or the perf output's negative error (already counted); a ring buffer submit cannot fail. */
static __always_inline long pl_submit_(void *ctx, void *map, void *lost, void *rec, __u64 size)
{
    if (pl_perfbuf()) {
        long err = bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, rec, size);
        if (err)
            pl_count_perf_error(lost, err);
        return err;
    }
    bpf_ringbuf_submit(rec, PL_SUBMIT_FLAGS);
    return 0;
}

static __always_inline void pl_discard_(void *rec)
{
    if (pl_perfbuf())
        return;
    bpf_ringbuf_discard(rec, 0);
}

static __always_inline long pl_output_(void *ctx, void *map, void *lost, void *data, __u64 size)
{
    long err;
    if (pl_perfbuf()) {
        err = bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data, size);
        if (err)
            pl_count_perf_error(lost, err);
        return err;
    }
    err = bpf_ringbuf_output(map, data, size, PL_SUBMIT_FLAGS);
    if (err)
        pl_count_lost(lost, PL_LOST_NO_SPACE);
    return err;
}

/* Reserve a record of constant `size` in channel `name`; NULL (and counted) when refused. */
#define pl_reserve(name, size) pl_reserve_(&name, &name##_lost, (size))
/* Hand a reserved record to the reader (ctx: the program's context, needed by perf output);
 * 0, or the perf output's negative error (already counted in <name>_lost). */
#define pl_submit(ctx, name, rec, size) pl_submit_((ctx), &name, &name##_lost, (rec), (size))
/* Drop a reserved record without delivering it (the reader skips it). */
#define pl_discard(name, rec) pl_discard_((rec))
/* Copy `size` bytes from `data` into channel `name`; 0 or a negative error (already counted). */
#define pl_output(ctx, name, data, size) pl_output_((ctx), &name, &name##_lost, (data), (size))

#endif /* PACKETLENS_EVENTS_H */
