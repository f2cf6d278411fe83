// The live-frame traffic generator (io.packetlens.trafficgen.LiveFrameGenerator): an XDP
// program run by BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES. Each run writes the next
// frame of a mix of templates (Ethernet/IPv4 UDP or TCP SYN from many source addresses) into
// the kernel's frame and redirects it out of one interface. The frames leave through the
// device's ndo_xdp_xmit as xdp_frames, the way a NIC hands frames to a driver: on a veth pair
// the peer's XDP program sees them before any skb exists, and without one the peer builds
// skbs for the stack. Live mode recycles its pages without resetting them, so every run
// rewrites the whole frame.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* Keep in sync with io.packetlens.trafficgen.LiveLayout. */
#define PL_GEN_FRAME 128
#define PL_GEN_PARTS 4
#define PL_GEN_PERIOD 64

#define PL_GEN_IP_CSUM 24  /* Ethernet (14) + IPv4 checksum (10) */
#define PL_GEN_IP_SRC 26   /* Ethernet (14) + IPv4 source (12) */
#define PL_GEN_SPORT 34    /* Ethernet + 20-byte IPv4 header: the source port of UDP and TCP */

/* One kind of frame: the template with source address and port zero, and the ones'-complement
 * sums (unfolded) of its IPv4 header and its transport checksum's coverage with them zero. */
struct pl_gen_part {
    __u8 frame[PL_GEN_FRAME];
    __u32 first_src;   /* host order */
    __u32 sources;
    __u32 ports;
    __u32 ip_sum;
    __u32 l4_sum;
    __u32 l4_csum_off; /* where the transport checksum lies in the frame (40 UDP, 50 TCP) */
    __u32 weight;      /* frames of this part per period */
    __u32 pad;
};

struct pl_gen_config {
    __u32 ifindex;     /* where the frames go */
    __u32 size;        /* bytes of every frame */
    __u32 period;      /* frames per period of the mix, at most PL_GEN_PERIOD */
    __u32 pad;
    __u8 part_at[PL_GEN_PERIOD];  /* the part of each position in the period */
    __u8 rank_at[PL_GEN_PERIOD];  /* frames of that part earlier in the period */
    struct pl_gen_part parts[PL_GEN_PARTS];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_gen_config);
} gen_config SEC(".maps");

/* Frames this CPU has written, which also picks the next one. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} gen_sequence SEC(".maps");

static __always_inline __u16 pl_fold(__u64 sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

SEC("xdp")
int trafficgen_live(struct xdp_md *ctx)
{
    __u32 zero = 0;
    struct pl_gen_config *cfg = bpf_map_lookup_elem(&gen_config, &zero);
    __u64 *seq = bpf_map_lookup_elem(&gen_sequence, &zero);
    if (!cfg || !seq)
        return XDP_ABORTED;
    __u64 n = (*seq)++;
    __u32 period = cfg->period;
    if (period == 0 || period > PL_GEN_PERIOD)
        return XDP_ABORTED;
    __u32 pos = n % period;
    __u32 p = cfg->part_at[pos & (PL_GEN_PERIOD - 1)] & (PL_GEN_PARTS - 1);
    struct pl_gen_part *part = &cfg->parts[p];
    __u32 sources = part->sources, ports = part->ports;
    if (sources == 0 || ports == 0)
        return XDP_ABORTED;
    __u64 index = n / period * part->weight + cfg->rank_at[pos & (PL_GEN_PERIOD - 1)];
    __u32 src = part->first_src + (__u32)(index % sources);
    __u16 sport = 1024 + (__u16)(index / sources % ports);

    __u32 size = cfg->size;
    if (size < PL_GEN_SPORT + 8 || size > PL_GEN_FRAME)
        return XDP_ABORTED;
    if (bpf_xdp_store_bytes(ctx, 0, part->frame, size))
        return XDP_ABORTED;

    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    if (data + PL_GEN_SPORT + 2 > end)
        return XDP_ABORTED;
    __u32 src_be = bpf_htonl(src);
    __u16 sport_be = bpf_htons(sport);
    *(__u32 *)(data + PL_GEN_IP_SRC) = src_be;
    *(__u16 *)(data + PL_GEN_SPORT) = sport_be;
    /* sums are over 16-bit words in network order, as they lie in the frame */
    __u64 addr_words = (src_be & 0xffff) + (src_be >> 16);
    *(__u16 *)(data + PL_GEN_IP_CSUM) = pl_fold((__u64)part->ip_sum + addr_words);
    __u32 off = part->l4_csum_off;
    if (off < PL_GEN_SPORT || off > PL_GEN_FRAME - 2)
        return XDP_ABORTED;
    __u16 *csum = data + off;
    if ((void *)(csum + 1) > end)
        return XDP_ABORTED;
    __u16 c = pl_fold((__u64)part->l4_sum + addr_words + sport_be);
    /* a UDP checksum that folds to zero is sent as all ones (zero means "none") */
    *csum = c ? c : 0xffff;
    return bpf_redirect(cfg->ifindex, 0);
}
