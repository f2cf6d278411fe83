package io.packetlens.flow;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Key of the "other" counters, for frames that are not flows: {@code struct pl_other_key} of packetlens_flow.h, 12
 * bytes. {@code ethertype} is the last one the parser read (after VLAN tags; 0 when even the Ethernet header is cut);
 * {@code protocol} the last IP protocol or IPv6 next-header it read, 0 before the IP header.
 *
 * <pre>
 *  0  u32 ifindex   4  u16 ethertype   6  u8 proto   7  u8 reason   8  u8 direction   9  u8[3] pad
 * </pre>
 */
public record OtherKey(int ifindex, Direction direction, int ethertype, int protocol, OtherReason reason) {
    public static final int SIZE = 12;
    public static final int IFINDEX = 0;
    public static final int ETHERTYPE = 4;
    public static final int PROTOCOL = 6;
    public static final int REASON = 7;
    public static final int DIRECTION = 8;

    public static OtherKey read(MemorySegment src, long offset) {
        return new OtherKey(src.get(JAVA_INT_UNALIGNED, offset + IFINDEX), Direction.of(src.get(JAVA_BYTE, offset + DIRECTION)),
                Short.toUnsignedInt(src.get(JAVA_SHORT_UNALIGNED, offset + ETHERTYPE)),
                Byte.toUnsignedInt(src.get(JAVA_BYTE, offset + PROTOCOL)), OtherReason.of(src.get(JAVA_BYTE, offset + REASON)));
    }

    public void write(MemorySegment dst, long offset) {
        dst.asSlice(offset, SIZE).fill((byte) 0);
        dst.set(JAVA_INT_UNALIGNED, offset + IFINDEX, ifindex);
        dst.set(JAVA_SHORT_UNALIGNED, offset + ETHERTYPE, (short) ethertype);
        dst.set(JAVA_BYTE, offset + PROTOCOL, (byte) protocol);
        dst.set(JAVA_BYTE, offset + REASON, (byte) reason.code());
        dst.set(JAVA_BYTE, offset + DIRECTION, (byte) direction.code());
    }

    @Override
    public String toString() {
        return String.format("%s: ethertype 0x%04x proto %d if %d %s", reason.name().toLowerCase(), ethertype, protocol,
                ifindex, direction.name().toLowerCase());
    }
}
