/* One interface's XDP hook shared by several programs: the kernel half of
 * io.packetlens.ebpf.link.XdpChain (docs/XDP-CHAIN.md). It ships in the library's jar beside
 * that class (io/packetlens/ebpf/link/packetlens_chain.h); in this repository
 * scripts/compile-bpf.sh gets ebpf/src/main/bpf/include as an include directory.
 *
 * An interface has one XDP attachment. packetlens attaches a small dispatcher there (built by
 * XdpChain, XDP link) that tail-calls the slots of a BPF_MAP_TYPE_PROG_ARRAY, pl_xdp_chain, in
 * order, from the lowest occupied one (XdpChain replaces the dispatcher when that moves). Each member program sits in one slot; where it would return XDP_PASS it returns
 * PL_XDP_CHAIN_NEXT(ctx) instead, which tail-calls the next non-empty slot after its own (and
 * returns XDP_PASS when there is none). A member that drops, redirects or transmits a packet
 * just returns that verdict: the packet then never reaches the slots behind it.
 *
 * Why tail calls and not libxdp's dispatcher (freplace, BPF_PROG_TYPE_EXT): on the kernels this
 * project runs on, BPF_PROG_LOAD of EXT programs (like fentry/fexit/fmod_ret/LSM, every program
 * that runs through a BPF trampoline) fails with EPERM before the verifier runs; see
 * docs/XDP-CHAIN.md for the finding.
 *
 * Adopting it in a program is one include and one macro:
 *
 *     #include "packetlens_chain.h"
 *     SEC("xdp") int my_xdp(struct xdp_md *ctx) {
 *         if (bad(ctx)) return XDP_DROP;
 *         return PL_XDP_CHAIN_NEXT(ctx);          // was: return XDP_PASS;
 *     }
 *
 * The header declares the map and the program's slot (a .rodata constant, set by user space
 * before load: XdpChain.prepare / XdpChain.join). A program loaded without a slot (the default,
 * PL_XDP_CHAIN_NO_SLOT) is not chained: the verifier sees the constant and removes the tail
 * calls, so PL_XDP_CHAIN_NEXT costs nothing and returns XDP_PASS. The same object therefore
 * attaches directly (XdpLink) or joins a chain.
 *
 * Rules for members: XDP programs of section "xdp" (expected attach type BPF_XDP) without
 * xdp.frags, like the dispatcher (the kernel refuses a program of another kind in the array);
 * at most 32 tail calls per packet in all (the kernel's limit is 33), which the layout keeps
 * far below (dispatcher -> member -> member ... -> end: one per member, plus one for a
 * process-scoped member's stub).
 */
#ifndef PACKETLENS_CHAIN_H
#define PACKETLENS_CHAIN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Slots of a chain; lower slots run first. */
#define PL_XDP_CHAIN_SLOTS 64
/* The slot of a program loaded outside any chain. */
#define PL_XDP_CHAIN_NO_SLOT 0xffffffffu

/* Slots by role (XdpChain.SLOT_*): a firewall first, so everything behind it sees only what it
 * passes; the monitor next, counting what reached the host; capture after it; a load balancer,
 * which redirects or transmits and so ends the chain, last. The gaps are for other programs. */
#define PL_XDP_SLOT_GUARD 10
#define PL_XDP_SLOT_FLOW 20
#define PL_XDP_SLOT_CAPTURE 30
#define PL_XDP_SLOT_LOAD_BALANCER 40

/* The chain: slot -> program. User space replaces this map at load with the interface's
 * chain (pinned under /sys/fs/bpf/packetlens/xdp/<netns>-<ifname>/chain). */
struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, PL_XDP_CHAIN_SLOTS);
    __type(key, __u32);
    __type(value, __u32);
} pl_xdp_chain SEC(".maps");

/* This program's slot, set before load; PL_XDP_CHAIN_NO_SLOT outside a chain. */
const volatile __u32 pl_xdp_chain_slot = PL_XDP_CHAIN_NO_SLOT;

/* Tail-calls the first non-empty slot after this program's own; XDP_PASS when none is, or
 * outside a chain. Every index is a compile-time constant (the loop is unrolled), so the JIT
 * turns each try into a direct jump patched when the slot changes, and the verifier, which
 * knows the frozen slot constant, keeps only the tries after this program's slot. An empty
 * slot costs about 0.6 ns; XdpChain keeps an end program in the slot after the last member,
 * so the last member's tries stop at once. */
static __always_inline int pl_xdp_chain_next(struct xdp_md *ctx)
{
    __u32 self = pl_xdp_chain_slot;
    if (self >= PL_XDP_CHAIN_SLOTS)
        return XDP_PASS;
#pragma unroll
    for (__u32 i = 0; i < PL_XDP_CHAIN_SLOTS; i++) {
        if (i > self)
            bpf_tail_call(ctx, &pl_xdp_chain, i); /* returns only if the slot is empty */
    }
    return XDP_PASS;
}

#define PL_XDP_CHAIN_NEXT(ctx) pl_xdp_chain_next(ctx)

/* ---- records kept beside the chain (user space only; io.packetlens.ebpf.link.ChainLayout) ----
 * owners: BPF_MAP_TYPE_ARRAY, PL_XDP_CHAIN_SLOTS entries of struct pl_xdp_chain_owner, pinned as
 * <chain dir>/owners; meta: one struct pl_xdp_chain_meta, pinned as <chain dir>/meta. */

#define PL_XDP_CHAIN_F_MEMBER  1u /* a member program is in the slot */
#define PL_XDP_CHAIN_F_PINNED  2u /* it stays until removed (no owning process) */
#define PL_XDP_CHAIN_F_PROCESS 4u /* the slot holds a stub that runs the member from a prog array
                                     only its process holds: the kernel empties that array when
                                     the process exits, however it ends */
#define PL_XDP_CHAIN_F_END     8u /* the end program (returns XDP_PASS) after the last member */

struct pl_xdp_chain_owner {
    __u32 flags;        /* PL_XDP_CHAIN_F_* ; 0 = free */
    __u32 pid;          /* the owning process (process-scoped; 0 for pinned members) */
    __u64 start_time;   /* its start time (/proc/PID/stat field 22), against pid reuse */
    __u32 prog_id;      /* the member program */
    __u32 slot_prog_id; /* the program in the chain slot: the member, or its stub */
    __u32 inner_map_id; /* process-scoped: the prog array holding the member, 0 once it is gone */
    __u32 pid_ns;       /* inode of the owner's pid namespace */
    char name[16];      /* the member program's name */
};

#define PL_XDP_CHAIN_MAGIC 0x706c7863u /* "plxc" */

struct pl_xdp_chain_meta {
    __u32 magic;          /* PL_XDP_CHAIN_MAGIC */
    __u32 version;        /* 1 */
    __u32 ifindex;        /* the interface, in the network namespace named by the directory */
    __u32 xdp_mode;       /* XDP_FLAGS_DRV_MODE (4) or XDP_FLAGS_SKB_MODE (2) */
    __u32 dispatcher_id;  /* the dispatcher program */
    __u32 link_id;        /* its XDP link; pinned as <chain dir>/link while a pinned member exists */
    __u64 net_ns;         /* inode of the interface's network namespace */
};

#endif
