package io.packetlens.ebpf.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct ifinfomsg}, the family header of RTM_*LINK messages: u8 family, u8 pad,
 * u16 type (ARPHRD_*), s32 index, u32 flags (IFF_*), u32 change.
 */
public record IfInfoMsg(int family, int type, int index, int flags, int change) {
    public static final int FAMILY = 0, TYPE = 2, INDEX = 4, FLAGS = 8, CHANGE = 12;
    public static final int SIZE = 16;

    /** A header addressing interface {@code index}, changing nothing else. */
    public static IfInfoMsg of(int index) {
        return new IfInfoMsg(0, 0, index, 0, 0);
    }

    public byte[] bytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.nativeOrder());
        b.put(FAMILY, (byte) family).putShort(TYPE, (short) type).putInt(INDEX, index).putInt(FLAGS, flags).putInt(CHANGE, change);
        return b.array();
    }

    public static IfInfoMsg parse(Message m) {
        if (m.payload().length < SIZE) throw new NetlinkException("link message too short: " + m.payload().length + " bytes", 0, null);
        ByteBuffer b = m.buffer();
        return new IfInfoMsg(b.get(FAMILY) & 0xff, b.getShort(TYPE) & 0xffff, b.getInt(INDEX), b.getInt(FLAGS), b.getInt(CHANGE));
    }
}
