/* Debug prints that cost nothing when they are off: the kernel half of
 * io.packetlens.ebpf.tracing.KernelDebugLog (`--debug-kernel`).
 *
 * A program defines PL_DEBUG_PROG, its name in the log (a string literal of letters, digits,
 * '_' and '-'), before including this header, then writes
 *
 *     PL_DEBUG("flow table full (err %ld)", err);
 *
 * which prints, through bpf_printk, the line "pl:<tag>:<PL_DEBUG_PROG>: flow table full (err -7)"
 * when pl_debug is not zero, and nothing otherwise.
 *
 * Why it is free when off: pl_debug is a `const volatile` global, so it lives in .rodata, which the
 * loader creates as an array map, fills and freezes before the programs are loaded
 * (io.packetlens.ebpf.ObjectLoader). The verifier reads a frozen read-only map's value as a
 * constant: with pl_debug = 0 the `if` is never taken, and the verifier removes the branch, its
 * arguments and the helper call from the program it runs (KernelDebugLogTest and FlowDebugTest
 * look at the translated instructions: no call to bpf_trace_printk is left). With the switch on,
 * each print costs a helper call that takes a global trace lock: keep them off the per-packet
 * path of traffic that is not already special (a parse failure, a full table, a drop).
 *
 * Why the value is a tag and not 1: user space sets it to a random number of the KernelDebugLog
 * that asked for the prints. The log keeps only lines with its own tag, so two packetlens
 * processes with --debug-kernel on one host (or a pinned program left by an earlier one) each
 * see their own lines, and a line names the program that wrote it.
 *
 * Arguments: the tag takes one of bpf_trace_printk's three, so a print with up to two arguments
 * uses bpf_trace_printk and one with three to eleven bpf_trace_vprintk (kernel 5.16+); libbpf's
 * bpf_printk picks. Do not end the format with "\n": the trace output adds the line end. */
#ifndef PACKETLENS_DEBUG_H
#define PACKETLENS_DEBUG_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef PL_DEBUG_PROG
#error "define PL_DEBUG_PROG (the program's name in debug lines) before including packetlens_debug.h"
#endif

/* 0: no debug prints (the verifier removes them); otherwise on, and the tag of the reader.
 * Set before load by KernelDebugLog.configure (io.packetlens.ebpf.tracing). */
const volatile __u32 pl_debug = 0;

/* The prefix every packetlens debug line starts with (KernelDebugLine parses it). */
#define PL_DEBUG_PREFIX "pl:%x:" PL_DEBUG_PROG ": "

#define PL_DEBUG(fmt, args...)                                  \
    do {                                                        \
        if (pl_debug)                                           \
            bpf_printk(PL_DEBUG_PREFIX fmt, pl_debug, ##args);  \
    } while (0)

#endif
