// Socket filters for the attach tests. Socket filter programs read the packet with
// bpf_skb_load_bytes (no direct packet access); offset 0 is where the socket's view starts:
// the Ethernet header on an AF_PACKET socket, the UDP header on a UDP socket.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* The UDP destination port a packet socket keeps; set from Java before load. */
const volatile __u16 keep_port = 0;

/* AF_PACKET: keep IPv4/IPv6 UDP frames to keep_port, drop everything else. */
SEC("socket")
int keep_udp_port(struct __sk_buff *skb)
{
    __be16 proto;
    __u8 l4;
    __u32 l4off;
    if (bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto)) < 0)
        return 0;
    if (proto == bpf_htons(ETH_P_IP)) {
        __u8 vihl;
        if (bpf_skb_load_bytes(skb, ETH_HLEN, &vihl, 1) < 0 || bpf_skb_load_bytes(skb, ETH_HLEN + 9, &l4, 1) < 0)
            return 0;
        l4off = ETH_HLEN + (vihl & 0xf) * 4;
    } else if (proto == bpf_htons(ETH_P_IPV6)) {
        if (bpf_skb_load_bytes(skb, ETH_HLEN + 6, &l4, 1) < 0)
            return 0;
        l4off = ETH_HLEN + 40;
    } else {
        return 0;
    }
    if (l4 != IPPROTO_UDP)
        return 0;
    __be16 dport;
    if (bpf_skb_load_bytes(skb, l4off + 2, &dport, sizeof(dport)) < 0)
        return 0;
    return bpf_ntohs(dport) == keep_port ? skb->len : 0;
}

/* UDP socket: drop datagrams whose payload starts with "DROP" (after the 8-byte UDP header). */
SEC("socket")
int drop_marked(struct __sk_buff *skb)
{
    char head[4];
    if (bpf_skb_load_bytes(skb, 8, head, sizeof(head)) < 0)
        return skb->len;
    if (head[0] == 'D' && head[1] == 'R' && head[2] == 'O' && head[3] == 'P')
        return 0;
    return skb->len;
}
