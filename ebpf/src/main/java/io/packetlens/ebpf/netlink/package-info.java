/**
 * A small netlink library in Java: messages ({@code nlmsghdr}, family headers, nested
 * attributes) built and parsed byte for byte, a request/response socket over FFM, and
 * errors decoded from NLMSG_ERROR with the kernel's extended-ack text. Used to attach XDP
 * through IFLA_XDP and TC programs through a clsact qdisc and cls_bpf filters without
 * running {@code ip} or {@code tc}.
 */
package io.packetlens.ebpf.netlink;
