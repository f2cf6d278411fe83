package io.packetlens.ebpf.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One received netlink message: the fields of its {@code nlmsghdr} and its payload (the
 * family header followed by attributes, or an {@code nlmsgerr} for NLMSG_ERROR).
 */
public record Message(int type, int flags, int seq, int pid, byte[] payload) {

    /** Splits one datagram from a netlink socket into its messages (a datagram may hold many, e.g. in a dump). */
    public static List<Message> parseAll(byte[] datagram, int length) {
        ByteBuffer buf = ByteBuffer.wrap(datagram, 0, length).order(ByteOrder.nativeOrder());
        List<Message> out = new ArrayList<>();
        int pos = 0;
        while (length - pos >= Netlink.HDR_SIZE) {
            int len = buf.getInt(pos + Netlink.HDR_LEN);
            if (len < Netlink.HDR_SIZE || pos + len > length) {
                throw new NetlinkException("malformed netlink message at offset " + pos + ": length " + len
                        + " with " + (length - pos) + " bytes left", 0, null);
            }
            byte[] payload = new byte[len - Netlink.HDR_SIZE];
            buf.get(pos + Netlink.HDR_SIZE, payload);
            out.add(new Message(buf.getShort(pos + Netlink.HDR_TYPE) & 0xffff, buf.getShort(pos + Netlink.HDR_FLAGS) & 0xffff,
                    buf.getInt(pos + Netlink.HDR_SEQ), buf.getInt(pos + Netlink.HDR_PID), payload));
            pos += Netlink.align(len);
        }
        return out;
    }

    /** The payload in host byte order. */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
    }

    /** The attributes after a family header of {@code familyHeaderSize} bytes (e.g. 16 for ifinfomsg, 20 for tcmsg). */
    public Attributes attributes(int familyHeaderSize) {
        int start = Netlink.align(familyHeaderSize);
        if (payload.length < start) {
            throw new NetlinkException("netlink message type " + type + " has " + payload.length
                    + " payload bytes, shorter than its " + familyHeaderSize + "-byte header", 0, null);
        }
        return Attributes.parse(buffer(), start, payload.length - start);
    }

    public boolean isError() {
        return type == Netlink.NLMSG_ERROR;
    }

    public boolean isDone() {
        return type == Netlink.NLMSG_DONE;
    }

    public boolean isMulti() {
        return (flags & Netlink.NLM_F_MULTI) != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && m.type == type && m.flags == flags && m.seq == seq && m.pid == pid
                && java.util.Arrays.equals(m.payload, payload);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(type, flags, seq, pid, java.util.Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "Message[type=" + type + " flags=0x" + Integer.toHexString(flags) + " seq=" + seq + " pid=" + pid
                + " " + payload.length + " bytes]";
    }
}
