package io.packetlens.flow;

import java.nio.ByteOrder;

/**
 * {@code struct pl_flow_stats} (see {@link FlowRecord}) seen as eleven 64-bit words in the host's byte order, the form a
 * bulk copy of a batch of records into a {@code long[]} gives. The 32-bit and 8-bit fields are cut out of words 4 and
 * 5 by shifts that depend on the byte order.
 */
final class RecordWords {
    static final int WORDS = FlowRecord.SIZE / Long.BYTES;
    static final int PACKETS = FlowRecord.PACKETS / Long.BYTES;
    static final int BYTES = FlowRecord.BYTES / Long.BYTES;
    static final int FIRST_NS = FlowRecord.FIRST_NS / Long.BYTES;
    static final int LAST_NS = FlowRecord.LAST_NS / Long.BYTES;
    static final int IP_BYTES = FlowRecord.IP_BYTES / Long.BYTES;
    /** min_len (bytes 32..35) and max_len (36..39). */
    static final int LENGTHS = FlowRecord.MIN_LEN / Long.BYTES;
    /** tcp_flags (40..43), dscp (44), fragments (45). */
    static final int TAIL = FlowRecord.TCP_FLAGS / Long.BYTES;
    /** outer_src and outer_dst: four words. */
    static final int OUTER = FlowRecord.OUTER_SRC / Long.BYTES;

    private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private RecordWords() {}

    /** The byte at {@code index} (0..7) of a word as it lay in memory. */
    private static int byteAt(long word, int index) {
        return (int) (word >>> (LITTLE ? 8 * index : 8 * (7 - index))) & 0xff;
    }

    /** The 32-bit field at byte {@code index} (0 or 4) of a word as it lay in memory. */
    private static int intAt(long word, int index) {
        return (int) (word >>> (LITTLE ? 8 * index : 8 * (4 - index)));
    }

    static int minLength(long lengths) {
        return intAt(lengths, FlowRecord.MIN_LEN % Long.BYTES);
    }

    static int maxLength(long lengths) {
        return intAt(lengths, FlowRecord.MAX_LEN % Long.BYTES);
    }

    static int tcpFlags(long tail) {
        return intAt(tail, FlowRecord.TCP_FLAGS % Long.BYTES);
    }

    static int dscp(long tail) {
        return byteAt(tail, FlowRecord.DSCP % Long.BYTES);
    }

    /** The outer addresses in the four words at {@code at} of {@code v}, or null when they are zero (no tunnel). */
    static TunnelEnds outer(long[] v, int at) {
        if ((v[at] | v[at + 1] | v[at + 2] | v[at + 3]) == 0) return null;
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) b[i] = (byte) byteAt(v[at + i / 8], i % 8);
        return TunnelEnds.of(b, 0, 16);
    }

    static boolean fragments(long tail) {
        return byteAt(tail, FlowRecord.FRAGMENTS % Long.BYTES) != 0;
    }
}
