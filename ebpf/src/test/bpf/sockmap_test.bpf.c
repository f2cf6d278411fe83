// Sockmap programs for the attach tests. msg_to_peer: every sendmsg on a socket in
// local_socks goes straight into the receive queue of its peer socket (the one whose port
// pair is the mirror image), never through TCP/IP. The sk_skb pair exists to test
// attaching and detaching stream parser and verdict programs.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct port_pair {
    __u32 local_port;  /* host order */
    __u32 remote_port; /* host order */
};

struct {
    __uint(type, BPF_MAP_TYPE_SOCKHASH);
    __uint(max_entries, 64);
    __type(key, struct port_pair);
    __type(value, __u32);
} local_socks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_SOCKMAP);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} skb_socks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} redirected SEC(".maps"); /* [0] bytes redirected, [1] messages that found no peer */

static __always_inline void add(__u32 slot, __u64 n)
{
    __u64 *v = bpf_map_lookup_elem(&redirected, &slot);
    if (v)
        __sync_fetch_and_add(v, n);
}

/* The remote port is a big-endian 16-bit value in the low or (shifted) high half of the field. */
static __always_inline __u32 host_port(__u32 field)
{
    return field > 0xffff ? bpf_ntohl(field) : bpf_ntohs((__u16)field);
}

SEC("sk_msg")
int msg_to_peer(struct sk_msg_md *msg)
{
    struct port_pair peer = {
        .local_port = host_port(msg->remote_port),
        .remote_port = msg->local_port,
    };
    __u64 size = msg->size;
    if (bpf_msg_redirect_hash(msg, &local_socks, &peer, BPF_F_INGRESS) != SK_PASS) {
        add(1, 1);
        return SK_PASS;
    }
    add(0, size);
    return SK_PASS;
}

SEC("sk_skb/stream_parser")
int skb_parser(struct __sk_buff *skb)
{
    return skb->len;
}

SEC("sk_skb/stream_verdict")
int skb_verdict(struct __sk_buff *skb)
{
    return SK_PASS;
}

SEC("sk_skb/stream_verdict")
int skb_verdict_other(struct __sk_buff *skb)
{
    return SK_PASS;
}
