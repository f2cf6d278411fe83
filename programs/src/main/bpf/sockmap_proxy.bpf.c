// A TCP proxy in the kernel (sk_skb on a SOCKHASH): every byte that arrives on a spliced
// socket is sent out of its peer socket by the kernel, never copied to user space. User
// space accepts and connects, then puts both sockets into proxy_socks (keyed by socket
// cookie) and records who is whose peer in proxy_peers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_SOCKHASH);
    __uint(max_entries, 65536);
    __type(key, __u64);   /* socket cookie */
    __type(value, __u64); /* socket (an fd when written from user space) */
} proxy_socks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u64);   /* socket cookie */
    __type(value, __u64); /* the peer socket's cookie */
} proxy_peers SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} proxy_stats SEC(".maps"); /* [0] bytes redirected, [1] segments left to user space (no peer yet) */

static __always_inline void add(__u32 slot, __u64 n)
{
    __u64 *v = bpf_map_lookup_elem(&proxy_stats, &slot);
    if (v)
        *v += n;
}

/* Each skb is a message of its own: the proxy does not care about record boundaries. */
SEC("sk_skb/stream_parser")
int proxy_parser(struct __sk_buff *skb)
{
    return skb->len;
}

SEC("sk_skb/stream_verdict")
int proxy_verdict(struct __sk_buff *skb)
{
    __u64 cookie = bpf_get_socket_cookie(skb);
    __u64 *peer = bpf_map_lookup_elem(&proxy_peers, &cookie);
    if (!peer) {
        add(1, 1);
        return SK_PASS;
    }
    __u64 key = *peer;
    __u32 len = skb->len;
    if (bpf_sk_redirect_hash(skb, &proxy_socks, &key, 0) != SK_PASS) {
        /* the peer is not in the map (yet, or any more): leave the data to user space */
        add(1, 1);
        return SK_PASS;
    }
    add(0, len);
    return SK_PASS;
}
