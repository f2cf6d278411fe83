// packetlens capture: two XDP programs sharing one filter (packetlens_filter.h).
//   xdp_steal  - matching frames go to the AF_XDP socket of their RX queue (XSKMAP keyed by
//                queue id), with a 16-byte metadata block (receive time) before the frame;
//                the host stack never sees them. Frames for a queue without a socket pass.
//   xdp_mirror - matching frames are copied (up to the snap length) into a ring buffer and
//                then passed on to the stack unchanged: the host's traffic keeps working.
// Keep struct pl_xsk_meta and struct pl_cap_hdr in sync with io.packetlens.programs.capture.
#include "packetlens_filter.h"

char LICENSE[] SEC("license") = "GPL";

#define PL_SNAP_MAX 4096
#define PL_META_MAGIC 0x706c6d31 /* "plm1" */

enum pl_cap_stat { PL_SEEN, PL_MATCHED, PL_NO_SOCKET, PL_MIRROR_LOST, PL_MIRROR_COPIED, PL_NSTATS };

/* Written before the frame in steal mode: user space reads it at (frame - 16). */
struct pl_xsk_meta {
    __u64 tstamp;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
    __u32 magic;    /* PL_META_MAGIC; user space clears it before recycling the frame */
    __u32 len;      /* whole frame length (multi-buffer frames included) */
};

/* A mirror-mode ring buffer record: this header, then caplen bytes of the frame. */
struct pl_cap_hdr {
    __u64 tstamp;
    __u32 caplen;
    __u32 len;
    __u32 ifindex;
    __u32 queue;
};

struct pl_cap_scratch {
    struct pl_cap_hdr hdr;
    __u8 data[PL_SNAP_MAX];
};

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u32);
} xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 << 20);
} frames SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pl_cap_scratch);
} scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PL_NSTATS);
    __type(key, __u32);
    __type(value, __u64);
} cap_stats SEC(".maps");

static __always_inline void pl_count(__u32 key)
{
    __u64 *c = bpf_map_lookup_elem(&cap_stats, &key);
    if (c)
        *c += 1;
}

/* The filter verdict, counting seen and matched frames. */
static __always_inline int pl_wanted(struct xdp_md *ctx, struct pl_filter_cfg **cfg)
{
    __u32 zero = 0;
    pl_count(PL_SEEN);
    *cfg = bpf_map_lookup_elem(&filter_cfg, &zero);
    if (!*cfg)
        return 0;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    if (!pl_filter_match(data, end, *cfg))
        return 0;
    pl_count(PL_MATCHED);
    return 1;
}

SEC("xdp")
int xdp_steal(struct xdp_md *ctx)
{
    struct pl_filter_cfg *cfg;
    if (!pl_wanted(ctx, &cfg))
        return XDP_PASS;
    __u32 len = bpf_xdp_get_buff_len(ctx);
    if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct pl_xsk_meta)) == 0) {
        void *data = (void *)(long)ctx->data;
        struct pl_xsk_meta *meta = (void *)(long)ctx->data_meta;
        if ((void *)(meta + 1) <= data) {
            meta->tstamp = bpf_ktime_get_ns();
            meta->magic = PL_META_MAGIC;
            meta->len = len;
        }
    }
    int action = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
    if (action != XDP_REDIRECT)
        pl_count(PL_NO_SOCKET);
    return action;
}

SEC("xdp")
int xdp_mirror(struct xdp_md *ctx)
{
    struct pl_filter_cfg *cfg;
    if (!pl_wanted(ctx, &cfg))
        return XDP_PASS;
    __u32 zero = 0;
    struct pl_cap_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
    if (!s)
        return XDP_PASS;
    __u32 len = bpf_xdp_get_buff_len(ctx);
    __u32 cap = len < cfg->snaplen ? len : cfg->snaplen;
    if (cap > PL_SNAP_MAX)
        cap = PL_SNAP_MAX;
    if (cap == 0)
        return XDP_PASS;
    /* The verifier must see the copy length within [1, PL_SNAP_MAX]. The empty asm hides
     * the range from clang, which would otherwise drop the mask as redundant; for
     * 1 <= cap <= PL_SNAP_MAX (a power of two) the expression changes nothing. */
    asm volatile("" : "+r"(cap));
    cap = ((cap - 1) & (PL_SNAP_MAX - 1)) + 1;
    if (bpf_xdp_load_bytes(ctx, 0, s->data, cap) != 0)
        return XDP_PASS;
    s->hdr.tstamp = bpf_ktime_get_ns();
    s->hdr.caplen = cap;
    s->hdr.len = len;
    s->hdr.ifindex = ctx->ingress_ifindex;
    s->hdr.queue = ctx->rx_queue_index;
    if (bpf_ringbuf_output(&frames, s, sizeof(s->hdr) + cap, 0) != 0)
        pl_count(PL_MIRROR_LOST);
    else
        pl_count(PL_MIRROR_COPIED);
    return XDP_PASS;
}
