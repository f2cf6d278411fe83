// packetlens's connection tracker: every IP packet seen at TC ingress and egress (both
// directions of the host's traffic) or XDP ingress updates the connection it belongs to in
// ct_table (packetlens_conntrack.h). Traffic is never dropped or changed.
#include "packetlens_conntrack.h"
#include <linux/pkt_cls.h>

char LICENSE[] SEC("license") = "GPL";

#define PL_TC_PULL 256

static __always_inline int pl_ct_tc(struct __sk_buff *skb)
{
    struct pl_packet p = {};
    __u64 now = bpf_ktime_get_ns();
    /* a tag the device took out of the frame (VLAN acceleration) is the outermost */
    int hw_vlan = skb->vlan_present ? (int)(skb->vlan_tci & 0x0fff) : -1;
    void *data = (void *)(long)skb->data;
    void *end = (void *)(long)skb->data_end;
    int reason = pl_parse(data, end, hw_vlan, &p);
    if ((reason == PL_PARSE_TRUNCATED || (reason == PL_PARSE_OK && p.proto == IPPROTO_TCP
                                          && data + p.l4_off + 20 > end))
        && end - data < skb->len) {
        /* headers beyond the linear part: make them linear (content unchanged), parse again */
        bpf_skb_pull_data(skb, skb->len < PL_TC_PULL ? skb->len : PL_TC_PULL);
        __builtin_memset(&p, 0, sizeof(p));
        data = (void *)(long)skb->data;
        end = (void *)(long)skb->data_end;
        reason = pl_parse(data, end, hw_vlan, &p);
    }
    /* TCP hands the device GSO packets even where the device segments them in software, after
     * this hook; a retransmitted one is gso_segs retransmitted segments to the sender's counters */
    pl_ct_track(skb, data, end, &p, reason, skb->ifindex, skb->gso_segs, now);
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
