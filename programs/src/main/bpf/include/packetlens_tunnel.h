/* One level of tunnel, looked into after packetlens_parse.h has parsed the outer packet:
 * VXLAN (UDP to a configured port, RFC 7348), GRE version 0 (RFC 2784 / 2890: checksum, key
 * and sequence fields; inner IPv4, IPv6 or bridged Ethernet, 0x6558) and IP in IP (IPv4 or
 * IPv6 inside IPv4 or IPv6: protocols 4 and 41). The inner packet gets the whole parse; the
 * outer one is kept only for its addresses.
 *
 * io.packetlens.packet.PacketFields#decapsulation is the same step in Java: change one,
 * change the other (FlowParserTest compares them frame by frame, cut at every offset). */
#ifndef PACKETLENS_TUNNEL_H
#define PACKETLENS_TUNNEL_H

#include "packetlens_parse.h"

/* Tunnel types, as io.packetlens.packet.TunnelType numbers them. */
enum pl_tunnel_type {
    PL_TUNNEL_NONE = 0,
    PL_TUNNEL_VXLAN = 1,
    PL_TUNNEL_GRE = 2,
    PL_TUNNEL_IPIP = 3, /* IPv4 or IPv6 directly inside IPv4 or IPv6 */
};

#define PL_IPPROTO_IPIP 4
#define PL_IPPROTO_IPV6 41
#define PL_IPPROTO_GRE  47
#define PL_ETH_P_TEB    0x6558
#define PL_VXLAN_PORTS  4

/* The deepest transport header offset a tunnel is looked for at: keeps the inner parse's
 * offsets bounded for the verifier, and no real outer header stack is longer. */
#define PL_TUNNEL_MAX_OFF 512

/* Which tunnel the parsed outer packet may carry, or PL_TUNNEL_NONE. Only a whole packet
 * that is not a fragment is looked into: a fragment's payload is not a packet yet. */
static __always_inline int pl_tunnel_candidate(const struct pl_packet *p, const volatile __u16 *vxlan_ports)
{
    if (p->fragment || p->l4_off > PL_TUNNEL_MAX_OFF)
        return PL_TUNNEL_NONE;
    if (p->proto == IPPROTO_UDP) {
#pragma unroll
        for (int i = 0; i < PL_VXLAN_PORTS; i++)
            if (vxlan_ports[i] && p->dport == vxlan_ports[i])
                return PL_TUNNEL_VXLAN;
        return PL_TUNNEL_NONE;
    }
    if (p->proto == PL_IPPROTO_GRE)
        return PL_TUNNEL_GRE;
    if (p->proto == PL_IPPROTO_IPIP || p->proto == PL_IPPROTO_IPV6)
        return PL_TUNNEL_IPIP;
    return PL_TUNNEL_NONE;
}

/* Parses the packet inside the outer one (o, type from pl_tunnel_candidate) into in, which
 * the caller zeroes first; *id becomes the VNI or GRE key (0 without one). Returns
 * PL_PARSE_OK when the inner packet parsed to the end, anything else when the frame holds no
 * whole inner IP packet (a cut or foreign header, ARP over VXLAN): then the outer packet is
 * the flow. The VLAN id stays the outer one, which is where the frame was seen. */
static __always_inline int pl_decap(void *data, void *end, const struct pl_packet *o, int type,
                                    struct pl_packet *in, __u32 *id)
{
    __u32 off = o->l4_off;
    if (off > PL_TUNNEL_MAX_OFF)
        return PL_PARSE_MALFORMED;
    __u16 inner = 0; /* ethertype of the inner packet; PL_ETH_P_TEB for an Ethernet frame */
    if (type == PL_TUNNEL_VXLAN) {
        __u8 *v = data + off + 8; /* after the UDP header */
        if ((void *)(v + 8) > end)
            return PL_PARSE_TRUNCATED;
        if (!(v[0] & 0x08)) /* the I flag: a valid VNI */
            return PL_PARSE_MALFORMED;
        *id = (__u32)v[4] << 16 | (__u32)v[5] << 8 | v[6];
        off += 16;
        inner = PL_ETH_P_TEB;
    } else if (type == PL_TUNNEL_GRE) {
        __u8 *g = data + off;
        if ((void *)(g + 4) > end)
            return PL_PARSE_TRUNCATED;
        __u8 flags = g[0];
        if ((g[1] & 0x07) || (flags & 0x40)) /* version 0 only, no source routing */
            return PL_PARSE_MALFORMED;
        inner = (__u16)g[2] << 8 | g[3];
        off += 4;
        if (flags & 0x80) /* checksum and reserved */
            off += 4;
        if (flags & 0x20) { /* key */
            __u8 *k = data + off;
            if ((void *)(k + 4) > end)
                return PL_PARSE_TRUNCATED;
            *id = (__u32)k[0] << 24 | (__u32)k[1] << 16 | (__u32)k[2] << 8 | k[3];
            off += 4;
        }
        if (flags & 0x10) /* sequence number */
            off += 4;
    } else {
        inner = o->proto == PL_IPPROTO_IPIP ? ETH_P_IP : ETH_P_IPV6;
    }
    if (inner == PL_ETH_P_TEB) {
        __u32 eoff = 0;
        if (pl_parse_eth(data + off, end, -1, in, &eoff) != PL_PARSE_OK)
            return PL_PARSE_TRUNCATED;
        inner = in->ethertype;
        off += eoff;
    }
    in->ethertype = inner;
    in->vlan = o->vlan;
    if (inner == ETH_P_IP)
        return pl_parse_ipv4(data, end, off, in);
    if (inner == ETH_P_IPV6)
        return pl_parse_ipv6(data, end, off, in);
    return PL_PARSE_NOT_IP;
}

#endif
