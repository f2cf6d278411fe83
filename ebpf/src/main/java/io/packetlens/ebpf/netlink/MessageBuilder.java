package io.packetlens.ebpf.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Builds one netlink message: the {@code nlmsghdr}, a family header such as
 * {@code ifinfomsg} or {@code tcmsg}, then attributes ({@code nlattr}), possibly nested,
 * each padded to 4 bytes. Values are in host byte order, as netlink wants them. The
 * sequence number and port are filled in by {@link NetlinkSocket} when it sends.
 *
 * <pre>
 *  0       4     6      8      12     16
 *  | len   | type| flags| seq  | pid  | family header | attr | attr(nested: attr attr) | ...
 * </pre>
 */
public final class MessageBuilder {
    private ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
    private final Deque<Integer> open = new ArrayDeque<>();

    /** Starts a message of {@code type} with {@code flags} (NLM_F_REQUEST is added). */
    public MessageBuilder(int type, int flags) {
        buf.putInt(0);
        buf.putShort((short) type);
        buf.putShort((short) (flags | Netlink.NLM_F_REQUEST));
        buf.putInt(0);
        buf.putInt(0);
    }

    private void ensure(int more) {
        if (buf.remaining() < more) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + more)).order(ByteOrder.nativeOrder());
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
    }

    private void pad() {
        int p = Netlink.align(buf.position()) - buf.position();
        ensure(p);
        for (int i = 0; i < p; i++) buf.put((byte) 0);
    }

    /** Appends raw bytes of the family header (e.g. a 16-byte ifinfomsg); padded to 4 bytes. */
    public MessageBuilder header(byte[] familyHeader) {
        ensure(familyHeader.length);
        buf.put(familyHeader);
        pad();
        return this;
    }

    /** Appends an attribute with the given value bytes. */
    public MessageBuilder attr(int type, byte[] value) {
        ensure(Netlink.ATTR_HDR_SIZE + value.length + Netlink.ALIGN);
        buf.putShort((short) (Netlink.ATTR_HDR_SIZE + value.length));
        buf.putShort((short) type);
        buf.put(value);
        pad();
        return this;
    }

    public MessageBuilder attrU8(int type, int value) {
        return attr(type, new byte[] {(byte) value});
    }

    public MessageBuilder attrU16(int type, int value) {
        return attr(type, ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) value).array());
    }

    /** A 32-bit attribute (u32 or s32: the bytes are the same). */
    public MessageBuilder attrU32(int type, int value) {
        return attr(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
    }

    public MessageBuilder attrU64(int type, long value) {
        return attr(type, ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(value).array());
    }

    /** A NUL-terminated string attribute (NLA_NUL_STRING / NLA_STRING both accept it). */
    public MessageBuilder attrString(int type, String value) {
        byte[] s = value.getBytes(StandardCharsets.UTF_8);
        return attr(type, Arrays.copyOf(s, s.length + 1));
    }

    /** Opens a nested attribute; attributes until the matching {@link #endNested()} go inside it. NLA_F_NESTED is set. */
    public MessageBuilder beginNested(int type) {
        pad();
        ensure(Netlink.ATTR_HDR_SIZE);
        open.push(buf.position());
        buf.putShort((short) 0);
        buf.putShort((short) (type | Netlink.NLA_F_NESTED));
        return this;
    }

    public MessageBuilder endNested() {
        if (open.isEmpty()) throw new IllegalStateException("endNested without beginNested");
        int start = open.pop();
        buf.putShort(start, (short) (buf.position() - start));
        return this;
    }

    /** The finished message bytes, with {@code nlmsg_len} set; sequence and port stay 0 for the socket to fill. */
    public byte[] build() {
        if (!open.isEmpty()) throw new IllegalStateException(open.size() + " nested attribute(s) not closed");
        pad();
        byte[] out = Arrays.copyOf(buf.array(), buf.position());
        ByteBuffer.wrap(out).order(ByteOrder.nativeOrder()).putInt(Netlink.HDR_LEN, out.length);
        return out;
    }

    /** The message type given at construction. */
    public int type() {
        return buf.getShort(Netlink.HDR_TYPE) & 0xffff;
    }
}
