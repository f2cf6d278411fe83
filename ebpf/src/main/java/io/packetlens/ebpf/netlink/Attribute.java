package io.packetlens.ebpf.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One parsed netlink attribute ({@code struct nlattr} / {@code struct rtattr}): its type with
 * the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits removed, and its value bytes.
 */
public record Attribute(int type, byte[] value) {

    public int u8() {
        need(1);
        return value[0] & 0xff;
    }

    public int u16() {
        need(2);
        return ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getShort() & 0xffff;
    }

    /** A 32-bit value (u32 or s32). */
    public int u32() {
        need(4);
        return ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getInt();
    }

    public long u64() {
        need(8);
        return ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getLong();
    }

    /** The value as a string, up to the first NUL. */
    public String string() {
        int n = 0;
        while (n < value.length && value[n] != 0) n++;
        return new String(value, 0, n, StandardCharsets.UTF_8);
    }

    /** The value parsed as a sequence of attributes (for nested attributes). */
    public Attributes nested() {
        return Attributes.parse(ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()), 0, value.length);
    }

    private void need(int n) {
        if (value.length < n) {
            throw new NetlinkException("netlink attribute " + type + " has " + value.length + " bytes, expected " + n, 0, null);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Attribute a && a.type == type && Arrays.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        return 31 * type + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "Attribute[" + type + ", " + value.length + " bytes]";
    }
}
