package io.packetlens.flow;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * One event record of the flow program ({@code struct pl_flow_event} of flow.bpf.c, written to {@code flow_events}
 * when {@link FlowConfig#events()} asks for it): a new flow, a TCP segment with SYN, FIN or RST, a flow-table
 * overflow, or a sampled packet with its first bytes.
 *
 * <pre>
 *  0  u64 ts_ns        bpf_ktime_get_ns() of the packet (CLOCK_MONOTONIC)
 *  8  pl_flow_key key  52 bytes ({@link FlowKey}; zero for frames that are not flows)
 * 60  u32 pkt_len      frame length as the hook saw it
 * 64  u8  kind         PL_EVENT_*: 1 new flow, 2 TCP, 3 sample, 4 overflow
 * 65  u8  tcp_flags    of this packet
 * 66  u16 cap_len      bytes of the frame that follow (samples only; at most {@value #SAMPLE_BYTES})
 * 68  u32 reserved
 * 72  u8  data[cap_len]
 * </pre>
 * Host byte order except the addresses in the key. Over a perf buffer a record may carry a few bytes of kernel padding
 * after {@code data}; {@code cap_len}, not the record length, says how much is frame.
 *
 * @param kind            what the event reports
 * @param timestampNanos  kernel time of the packet ({@code bpf_ktime_get_ns()}, CLOCK_MONOTONIC)
 * @param epochNanos      the same moment as wall-clock time (nanoseconds since the epoch), converted by the reader
 * @param key             the packet's flow (for samples of non-flow frames, an all-zero key)
 * @param packetLength    length of the whole frame
 * @param tcpFlags        the packet's TCP flags byte ({@link TcpFlags}), 0 for other protocols
 * @param data            samples: the frame's first bytes (at most {@value #SAMPLE_BYTES}); otherwise empty
 */
public record FlowEvent(EventKind kind, long timestampNanos, long epochNanos, FlowKey key, int packetLength,
                        int tcpFlags, byte[] data) {
    /** Size of the fixed part; sample bytes follow. */
    public static final int HEADER_SIZE = 72;
    /** Bytes of frame a sample carries at most ({@code PL_SAMPLE_BYTES}). */
    public static final int SAMPLE_BYTES = 128;
    public static final int TS = 0;
    public static final int KEY = 8;
    public static final int PKT_LEN = KEY + FlowKey.SIZE;
    public static final int KIND = PKT_LEN + 4;
    public static final int TCP_FLAGS = KIND + 1;
    public static final int CAP_LEN = KIND + 2;
    public static final int DATA = HEADER_SIZE;

    /** {@code enum pl_event_kind} values (record codes, not the {@link EventKind#bit()} of the configuration). */
    static final int CODE_NEW_FLOW = 1, CODE_TCP = 2, CODE_SAMPLE = 3, CODE_OVERFLOW = 4;

    private static final byte[] NONE = new byte[0];

    public FlowEvent {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(key);
        data = data.length == 0 ? NONE : data;
    }

    /** The kind of a record code, or null for a code this version does not know. */
    static EventKind kindOf(int code) {
        return switch (code) {
            case CODE_NEW_FLOW -> EventKind.NEW_FLOW;
            case CODE_TCP -> EventKind.TCP;
            case CODE_SAMPLE -> EventKind.SAMPLE;
            case CODE_OVERFLOW -> EventKind.OVERFLOW;
            default -> null;
        };
    }

    /** The record code of a record view, without decoding the rest (no allocation). */
    public static int kindCode(MemorySegment record) {
        return Byte.toUnsignedInt(record.get(JAVA_BYTE, KIND));
    }

    /** The kernel timestamp of a record view (no allocation). */
    public static long timestampNanos(MemorySegment record) {
        return record.get(JAVA_LONG_UNALIGNED, TS);
    }

    /** The sample length of a record view, bounded by what the view holds (no allocation). */
    public static int captureLength(MemorySegment record) {
        int cap = Short.toUnsignedInt(record.get(JAVA_SHORT_UNALIGNED, CAP_LEN));
        return (int) Math.min(cap, Math.max(0, record.byteSize() - DATA));
    }

    /**
     * Decodes a record view (as a ring or perf buffer hands it over, valid only during the handler call) into an event
     * that owns its bytes. {@code monoToEpochNanos} is added to the kernel time to get wall-clock time.
     *
     * @throws IllegalArgumentException for a record shorter than {@value #HEADER_SIZE} bytes or of an unknown kind
     */
    public static FlowEvent read(MemorySegment record, long monoToEpochNanos) {
        if (record.byteSize() < HEADER_SIZE) {
            throw new IllegalArgumentException("flow event record of " + record.byteSize() + " bytes, expected at least " + HEADER_SIZE);
        }
        int code = kindCode(record);
        EventKind kind = kindOf(code);
        if (kind == null) throw new IllegalArgumentException("unknown flow event kind " + code);
        long ts = timestampNanos(record);
        int cap = captureLength(record);
        byte[] data = cap == 0 ? NONE : record.asSlice(DATA, cap).toArray(JAVA_BYTE);
        return new FlowEvent(kind, ts, ts + monoToEpochNanos, FlowKey.read(record, KEY),
                record.get(JAVA_INT_UNALIGNED, PKT_LEN), Byte.toUnsignedInt(record.get(JAVA_BYTE, TCP_FLAGS)), data);
    }

    /** The sampled bytes (a copy). */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Bytes of frame the event carries. */
    public int captureLength() {
        return data.length;
    }

    /** Milliseconds since the epoch. */
    public long epochMillis() {
        return Math.floorDiv(epochNanos, 1_000_000L);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowEvent e && e.kind == kind && e.timestampNanos == timestampNanos && e.epochNanos == epochNanos
                && e.key.equals(key) && e.packetLength == packetLength && e.tcpFlags == tcpFlags && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, timestampNanos, key, packetLength, tcpFlags) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        String flags = tcpFlags != 0 ? " [" + TcpFlags.toString(tcpFlags) + "]" : "";
        String sample = data.length > 0 ? " data " + HexFormat.of().formatHex(data) : "";
        return kind.name() + " " + key + " len " + packetLength + flags + sample;
    }
}
