package io.packetlens.conntrack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;

/**
 * A connection's life event: opened, established, closed. The kernel emits the first three kinds
 * ({@code struct pl_ct_event} over {@code ct_events}); a close by timeout comes from {@link ConntrackProgram#expire()}.
 * {@code seq} numbers one connection's events from 0, so they can be put in order whichever CPU emitted them.
 *
 * @param reason  closed events: {@code fin}, {@code rst} or {@code timeout}; empty otherwise
 */
public record ConntrackEvent(Kind kind, String reason, long timestampNanos, int protocol, InetAddress source, int sourcePort,
                             InetAddress destination, int destinationPort, int zone, ConnState state, int seq,
                             long origPackets, long origBytes, long replyPackets, long replyBytes) {

    /** PL_CT_EV_*. */
    public enum Kind { NEW, ESTABLISHED, CLOSED }

    /** Reads one kernel event record. */
    public static ConntrackEvent read(MemorySegment e) {
        var L = ValueLayout.JAVA_LONG_UNALIGNED;
        int kind = Byte.toUnsignedInt(e.get(ValueLayout.JAVA_BYTE, ConntrackLayout.Event.KIND));
        int flags = Byte.toUnsignedInt(e.get(ValueLayout.JAVA_BYTE, ConntrackLayout.Event.FLAGS));
        Connection.Tuple t = Connection.Tuple.of(e.asSlice(ConntrackLayout.Event.KEY, ConntrackLayout.Key.SIZE), flags);
        Kind k = kind == 1 ? Kind.NEW : kind == 2 ? Kind.ESTABLISHED : Kind.CLOSED;
        String reason = k != Kind.CLOSED ? "" : (flags & ConntrackLayout.F_CLOSED_RST) != 0 ? "rst" : "fin";
        return new ConntrackEvent(k, reason, e.get(L, ConntrackLayout.Event.TS_NS), t.protocol(), t.source(), t.sourcePort(),
                t.destination(), t.destinationPort(), t.zone(),
                ConnState.of(Byte.toUnsignedInt(e.get(ValueLayout.JAVA_BYTE, ConntrackLayout.Event.STATE))),
                e.get(ValueLayout.JAVA_INT_UNALIGNED, ConntrackLayout.Event.SEQ), e.get(L, ConntrackLayout.Event.PACKETS0),
                e.get(L, ConntrackLayout.Event.BYTES0), e.get(L, ConntrackLayout.Event.PACKETS1), e.get(L, ConntrackLayout.Event.BYTES1));
    }

    /** The close by timeout of a connection {@link ConntrackProgram#expire()} removed. */
    public static ConntrackEvent timedOut(Connection c, long nowNanos) {
        int seq = c.eventSeq();
        return new ConntrackEvent(Kind.CLOSED, "timeout", nowNanos, c.protocol(), c.source(), c.sourcePort(), c.destination(),
                c.destinationPort(), c.zone(), c.state(), seq, c.original().packets(), c.original().bytes(),
                c.reply().packets(), c.reply().bytes());
    }
}
