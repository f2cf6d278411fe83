// A chainable XDP program for the XdpChain tests, standing in for the guard: drops UDP to one
// port, passes the rest on to the next slot of its chain, and counts both outcomes for UDP. Loaded
// several times with different slots (and ports) to build chains of members.
#include "udp_port.h"
#include "packetlens_chain.h"

char LICENSE[] SEC("license") = "GPL";

/* The UDP destination port to drop (0: drop nothing); set from Java before load. */
const volatile __u16 drop_port = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} chain_verdicts SEC(".maps"); /* UDP frames: [0] passed on, [1] dropped */

/* Never used by the programs: they put the header's record types into this object's BTF, so that
 * ChainLayoutTest can compare io.packetlens.ebpf.link.ChainLayout with the header. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_xdp_chain_owner);
} layout_owner SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_xdp_chain_meta);
} layout_meta SEC(".maps");

/* The header's macros, compiled in for the same comparison (the programs never read them). */
const volatile __u32 layout_constants[] = {
    PL_XDP_CHAIN_SLOTS, PL_XDP_CHAIN_NO_SLOT, PL_XDP_SLOT_GUARD, PL_XDP_SLOT_FLOW, PL_XDP_SLOT_CAPTURE,
    PL_XDP_SLOT_LOAD_BALANCER, PL_XDP_CHAIN_F_MEMBER, PL_XDP_CHAIN_F_PINNED, PL_XDP_CHAIN_F_PROCESS,
    PL_XDP_CHAIN_F_END, PL_XDP_CHAIN_MAGIC,
};

static __always_inline void count(__u32 slot)
{
    __u64 *v = bpf_map_lookup_elem(&chain_verdicts, &slot);
    if (v)
        __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int chain_drop_port(struct xdp_md *ctx)
{
    __u16 port = udp_dst_port((void *)(long)ctx->data, (void *)(long)ctx->data_end);
    if (port && port == drop_port) {
        count(1);
        return XDP_DROP;
    }
    if (port)
        count(0); /* UDP only: the lab's background frames (ARP, neighbour discovery) stay out of the counts */
    return PL_XDP_CHAIN_NEXT(ctx);
}

/* Not a chain member: the verdict of whatever runs it, for test-runs of a chain's tail. */
SEC("xdp")
int chain_pass(struct xdp_md *ctx)
{
    return XDP_PASS;
}
