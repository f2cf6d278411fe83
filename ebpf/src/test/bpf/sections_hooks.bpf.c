// One program per section name of libbpf's table that this kernel can load without attaching
// by BTF id: the cgroup socket-address, sockopt, sysctl, device and socket families, sockops,
// sk_lookup, sk_reuseport, flow_dissector, syscall (sleepable), XDP for devmap and
// cpumap and with frags, and a kprobe (which loads here; only attaching needs CONFIG_KPROBES).
// Each counts its calls in .bss (attached to a test cgroup, so only its processes count) and
// lets everything through.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 connect4_hits = 0;
__u64 sendmsg4_hits = 0;
__u64 getsockopt_hits = 0;
__u64 sysctl_hits = 0;
__u64 sock_create_hits = 0;
__u64 syscall_runs = 0;

SEC("cgroup/connect4")
int on_connect4(struct bpf_sock_addr *ctx)
{
    __sync_fetch_and_add(&connect4_hits, 1);
    return 1;
}

SEC("cgroup/sendmsg4")
int on_sendmsg4(struct bpf_sock_addr *ctx)
{
    __sync_fetch_and_add(&sendmsg4_hits, 1);
    return 1;
}

SEC("cgroup/recvmsg4")
int on_recvmsg4(struct bpf_sock_addr *ctx)
{
    return 1;
}

SEC("cgroup/getsockopt")
int on_getsockopt(struct bpf_sockopt *ctx)
{
    __sync_fetch_and_add(&getsockopt_hits, 1);
    return 1;
}

SEC("cgroup/setsockopt")
int on_setsockopt(struct bpf_sockopt *ctx)
{
    return 1;
}

SEC("cgroup/sysctl")
int on_sysctl(struct bpf_sysctl *ctx)
{
    __sync_fetch_and_add(&sysctl_hits, 1);
    return 1;
}

SEC("cgroup/dev")
int on_dev(struct bpf_cgroup_dev_ctx *ctx)
{
    return 1;
}

SEC("cgroup/sock_create")
int on_sock_create(struct bpf_sock *ctx)
{
    __sync_fetch_and_add(&sock_create_hits, 1);
    return 1;
}

SEC("cgroup/post_bind4")
int on_post_bind4(struct bpf_sock *ctx)
{
    return 1;
}

SEC("sockops")
int on_sockops(struct bpf_sock_ops *ctx)
{
    return 1;
}

__u64 lookup_hits = 0;

SEC("sk_lookup")
int on_lookup(struct bpf_sk_lookup *ctx)
{
    __sync_fetch_and_add(&lookup_hits, 1);
    return SK_PASS;
}

SEC("sk_reuseport")
int on_reuseport(struct sk_reuseport_md *ctx)
{
    return SK_PASS;
}

SEC("flow_dissector")
int on_dissect(struct __sk_buff *skb)
{
    return BPF_FLOW_DISSECTOR_CONTINUE;
}

SEC("syscall")
int on_syscall(void *ctx)
{
    __sync_fetch_and_add(&syscall_runs, 1);
    return 0;
}

SEC("xdp/devmap")
int on_devmap(struct xdp_md *ctx)
{
    return XDP_PASS;
}

SEC("xdp/cpumap")
int on_cpumap(struct xdp_md *ctx)
{
    return XDP_PASS;
}

SEC("xdp.frags")
int on_frags(struct xdp_md *ctx)
{
    return XDP_PASS;
}

SEC("kprobe/__sys_connect")
int on_kprobe(void *ctx)
{
    return 0;
}
