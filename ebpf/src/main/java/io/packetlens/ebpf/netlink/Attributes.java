package io.packetlens.ebpf.netlink;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A parsed sequence of netlink attributes, in the order the kernel sent them. Parsing is
 * strict about lengths (an attribute running past its container is an error) so that a
 * malformed message is reported rather than misread.
 */
public final class Attributes {
    private final List<Attribute> list;

    private Attributes(List<Attribute> list) {
        this.list = list;
    }

    /** Parses {@code length} bytes of attributes starting at {@code offset} of {@code buf}. */
    public static Attributes parse(ByteBuffer buf, int offset, int length) {
        List<Attribute> out = new ArrayList<>();
        int pos = offset;
        int end = offset + length;
        while (end - pos >= Netlink.ATTR_HDR_SIZE) {
            int len = buf.getShort(pos) & 0xffff;
            int type = buf.getShort(pos + 2) & Netlink.NLA_TYPE_MASK;
            if (len < Netlink.ATTR_HDR_SIZE || pos + len > end) {
                throw new NetlinkException("malformed netlink attribute at offset " + pos + ": length " + len
                        + " with " + (end - pos) + " bytes left", 0, null);
            }
            byte[] value = new byte[len - Netlink.ATTR_HDR_SIZE];
            buf.get(pos + Netlink.ATTR_HDR_SIZE, value);
            out.add(new Attribute(type, value));
            pos += Netlink.align(len);
        }
        return new Attributes(out);
    }

    /** The first attribute of {@code type}, if present. */
    public Optional<Attribute> get(int type) {
        for (Attribute a : list) if (a.type() == type) return Optional.of(a);
        return Optional.empty();
    }

    public boolean has(int type) {
        return get(type).isPresent();
    }

    /** All attributes of {@code type} (netlink allows repeats, e.g. in lists). */
    public List<Attribute> all(int type) {
        return list.stream().filter(a -> a.type() == type).toList();
    }

    public List<Attribute> list() {
        return Collections.unmodifiableList(list);
    }

    public int size() {
        return list.size();
    }

    @Override
    public String toString() {
        return list.toString();
    }
}
