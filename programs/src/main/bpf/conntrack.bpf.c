// packetlens's connection tracker: every IP packet seen at TC ingress and egress (both
// directions of the host's traffic) or XDP ingress updates the connection it belongs to in
// ct_table (packetlens_conntrack.h). Traffic is never dropped or changed.
#include "packetlens_conntrack.h"
#include <linux/pkt_cls.h>

char LICENSE[] SEC("license") = "GPL";

static __always_inline int pl_ct_tc(struct __sk_buff *skb)
{
    pl_ct_track_skb(skb);
    /* TC_ACT_UNSPEC (= TCX_NEXT): on to whatever runs after us */
    return TC_ACT_UNSPEC;
}

SEC("tc")
int ct_tc_ingress(struct __sk_buff *skb)
{
    return pl_ct_tc(skb);
}

SEC("tc")
int ct_tc_egress(struct __sk_buff *skb)
{
    return pl_ct_tc(skb);
}

SEC("xdp")
int ct_xdp(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct pl_packet p = {};
    __u64 now = bpf_ktime_get_ns();
    int reason = pl_parse(data, end, -1, &p);
    pl_ct_track(ctx, data, end, &p, reason, ctx->ingress_ifindex, 1, now);
    return XDP_PASS;
}
