package io.packetlens.conntrack;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * One tracked connection as read from the kernel table ({@code struct pl_ct_key} and {@code struct pl_ct_entry}),
 * turned the way {@code conntrack -L} shows one: the originator's tuple, the state, and each direction's counters.
 * Times are CLOCK_MONOTONIC nanoseconds.
 *
 * @param protocol  IP protocol number
 * @param source    the originator's address: whoever sent the first packet seen (for TCP, the SYN's sender)
 * @param sourcePort the originator's port; ICMP echo: the identifier; other ICMP: type << 8 | code
 * @param zone      the outermost VLAN id, or the ifindex with per-interface zones
 * @param eventSeq  how many events the kernel emitted for it (the next one's seq)
 */
public record Connection(int protocol, InetAddress source, int sourcePort, InetAddress destination, int destinationPort,
                         int zone, ConnState state, int flags, int ifindex, long firstNanos, long lastNanos,
                         Direction original, Direction reply, long synNanos, long synAckNanos, long ackNanos, int eventSeq) {

    /**
     * One direction's counters ({@code struct pl_ct_dir}). bytes are IP bytes, as nf_conntrack accounts them;
     * tcpFlags the OR of the flags of the TCP segments counted (0 for other protocols).
     */
    public record Direction(long packets, long bytes, long retransmits, long outOfOrder, long zeroWindows, int tcpFlags) {}

    public boolean midstream() {
        return (flags & ConntrackLayout.F_MIDSTREAM) != 0;
    }

    public boolean seenReply() {
        return (flags & ConntrackLayout.F_SEEN_REPLY) != 0;
    }

    public boolean assured() {
        return (flags & ConntrackLayout.F_ASSURED) != 0;
    }

    public boolean related() {
        return (flags & ConntrackLayout.F_RELATED) != 0;
    }

    /** How a closed TCP connection ended: RST or FIN; empty while it is open (or not TCP). */
    public Optional<String> closedBy() {
        if ((flags & ConntrackLayout.F_CLOSED_RST) != 0) return Optional.of("rst");
        if ((flags & ConntrackLayout.F_CLOSED_FIN) != 0) return Optional.of("fin");
        return Optional.empty();
    }

    /** SYN to SYN-ACK as seen at this host: the responder's answer time, or the whole round trip at the originator. */
    public Optional<Duration> synToSynAck() {
        return synNanos > 0 && synAckNanos >= synNanos ? Optional.of(Duration.ofNanos(synAckNanos - synNanos)) : Optional.empty();
    }

    /** SYN-ACK to the ACK that completed the handshake: the round trip to the originator, as seen at the responder. */
    public Optional<Duration> synAckToAck() {
        return synAckNanos > 0 && ackNanos >= synAckNanos ? Optional.of(Duration.ofNanos(ackNanos - synAckNanos)) : Optional.empty();
    }

    public String protocolName() {
        return switch (protocol) {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 1 -> "icmp";
            case 58 -> "icmpv6";
            case 132 -> "sctp";
            default -> Integer.toString(protocol);
        };
    }

    /** Reads one table entry: key and value bytes as the kernel lays them out. */
    /** A key turned the originator's way round, by the entry's (or event's) flags. */
    record Tuple(int protocol, InetAddress source, int sourcePort, InetAddress destination, int destinationPort, int zone) {
        static Tuple of(java.lang.foreign.MemorySegment keySegment, int flags) {
            byte[] key = keySegment.asSlice(0, ConntrackLayout.Key.SIZE).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            java.nio.ByteBuffer k = java.nio.ByteBuffer.wrap(key).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            boolean origHigh = (flags & ConntrackLayout.F_ORIG_HIGH) != 0;
            InetAddress a0 = address(key, ConntrackLayout.Key.ADDR0), a1 = address(key, ConntrackLayout.Key.ADDR1);
            int p0 = Short.toUnsignedInt(k.getShort(ConntrackLayout.Key.PORT0)), p1 = Short.toUnsignedInt(k.getShort(ConntrackLayout.Key.PORT1));
            int proto = Byte.toUnsignedInt(key[ConntrackLayout.Key.PROTO]);
            int zone = Short.toUnsignedInt(k.getShort(ConntrackLayout.Key.ZONE));
            if ((proto == 1 || proto == 58) && p1 == 0) p1 = p0; // other ICMP: type and code on both sides
            return new Tuple(proto, origHigh ? a1 : a0, origHigh ? p1 : p0, origHigh ? a0 : a1, origHigh ? p0 : p1, zone);
        }
    }

    static Connection of(java.lang.foreign.MemorySegment keySegment, java.lang.foreign.MemorySegment v) {
        int flags = Byte.toUnsignedInt(v.get(java.lang.foreign.ValueLayout.JAVA_BYTE, ConntrackLayout.Entry.FLAGS));
        Tuple t = Tuple.of(keySegment, flags);
        var L = java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
        Direction d0 = direction(v, ConntrackLayout.Entry.DIR0), d1 = direction(v, ConntrackLayout.Entry.DIR1);
        return new Connection(t.protocol(), t.source(), t.sourcePort(), t.destination(), t.destinationPort(), t.zone(),
                ConnState.of(Byte.toUnsignedInt(v.get(java.lang.foreign.ValueLayout.JAVA_BYTE, ConntrackLayout.Entry.STATE))), flags,
                Short.toUnsignedInt(v.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, ConntrackLayout.Entry.IFINDEX)),
                v.get(L, ConntrackLayout.Entry.FIRST_NS), v.get(L, ConntrackLayout.Entry.LAST_NS), d0, d1,
                v.get(L, ConntrackLayout.Entry.SYN_NS), v.get(L, ConntrackLayout.Entry.SYNACK_NS), v.get(L, ConntrackLayout.Entry.ACK_NS),
                v.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, ConntrackLayout.Entry.EVENT_SEQ));
    }

    private static Direction direction(java.lang.foreign.MemorySegment v, int off) {
        var L = java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
        var I = java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
        return new Direction(v.get(L, off + ConntrackLayout.Dir.PACKETS), v.get(L, off + ConntrackLayout.Dir.BYTES),
                Integer.toUnsignedLong(v.get(I, off + ConntrackLayout.Dir.RETRANSMITS)),
                Integer.toUnsignedLong(v.get(I, off + ConntrackLayout.Dir.OUT_OF_ORDER)),
                Integer.toUnsignedLong(v.get(I, off + ConntrackLayout.Dir.ZERO_WINDOW)),
                Byte.toUnsignedInt(v.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + ConntrackLayout.Dir.TCP_FLAGS)));
    }

    private static final byte[] V4_MAPPED = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    private static InetAddress address(byte[] key, int off) {
        byte[] a = Arrays.copyOfRange(key, off, off + 16);
        try {
            if (Arrays.equals(a, 0, 12, V4_MAPPED, 0, 12)) return InetAddress.getByAddress(Arrays.copyOfRange(a, 12, 16));
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // lengths 4 and 16 always make an address
        }
    }
}
