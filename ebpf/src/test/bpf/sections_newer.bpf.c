// Section names of libbpf's table newer than the libbpf 1.1 bpftool of Debian 12 knows (so the
// tag comparison with bpftool leaves this object out): netfilter, tcx and tc/ingress (tcx by
// another name), and the unix-socket cgroup hooks.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 netfilter_hits = 0;

SEC("netfilter")
int on_netfilter(void *ctx)
{
    __sync_fetch_and_add(&netfilter_hits, 1);
    return 1; /* NF_ACCEPT */
}

SEC("tcx/ingress")
int on_tcx_ingress(struct __sk_buff *skb)
{
    return TC_ACT_UNSPEC;
}

SEC("tc/egress")
int on_tc_egress(struct __sk_buff *skb)
{
    return TC_ACT_UNSPEC;
}

SEC("cgroup/connect_unix")
int on_connect_unix(struct bpf_sock_addr *ctx)
{
    return 1;
}
