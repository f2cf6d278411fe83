package io.packetlens.ebpf.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct tcmsg}, the family header of qdisc, class and filter messages: u8 family,
 * u8 and u16 padding, s32 ifindex, u32 handle, u32 parent, u32 info. For filters, info
 * holds the priority in its upper 16 bits and the protocol (network byte order) below.
 */
public record TcMsg(int family, int ifindex, int handle, int parent, int info) {
    public static final int FAMILY = 0, IFINDEX = 4, HANDLE = 8, PARENT = 12, INFO = 16;
    public static final int SIZE = 20;

    public byte[] bytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.nativeOrder());
        b.put(FAMILY, (byte) family).putInt(IFINDEX, ifindex).putInt(HANDLE, handle).putInt(PARENT, parent).putInt(INFO, info);
        return b.array();
    }

    public static TcMsg parse(Message m) {
        if (m.payload().length < SIZE) throw new NetlinkException("tc message too short: " + m.payload().length + " bytes", 0, null);
        ByteBuffer b = m.buffer();
        return new TcMsg(b.get(FAMILY) & 0xff, b.getInt(IFINDEX), b.getInt(HANDLE), b.getInt(PARENT), b.getInt(INFO));
    }

    /** The filter priority (upper 16 bits of info). */
    public int priority() {
        return info >>> 16;
    }

    /** The filter protocol in host byte order (lower 16 bits of info are big-endian). */
    public int protocol() {
        return Rtnetlink.htons(info & 0xffff);
    }
}
