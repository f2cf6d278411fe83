package io.packetlens.flow;

import io.packetlens.packet.IpProtocol;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link FlowEvent} decodes {@code struct pl_flow_event} byte for byte, as laid out in flow.bpf.c. */
class FlowEventTest {
    private static final FlowKey KEY = new FlowKey(InetAddress.ofLiteral("10.1.2.3"), InetAddress.ofLiteral("192.168.7.9"),
            40_000, 443, IpProtocol.TCP, 12, 7, Direction.EGRESS, Tunnel.vxlan(42));

    /** The record as the C struct lays it out, written field by field independently of FlowEvent's constants. */
    private static byte[] record(int kind, int flags, int pktLen, byte[] data, int padding) {
        ByteBuffer b = ByteBuffer.allocate(72 + data.length + padding).order(ByteOrder.nativeOrder());
        b.putLong(123_456_789L);
        b.put(KEY.toBytes());
        b.putInt(pktLen);
        b.put((byte) kind).put((byte) flags).putShort((short) data.length).putInt(0);
        b.put(data);
        return b.array();
    }

    @Test
    void decodesEachKindAndTheSampleBytes() {
        FlowEvent e = FlowEvent.read(MemorySegment.ofArray(record(2, TcpFlags.SYN | TcpFlags.ACK, 74, new byte[0], 0)), 1_000L);
        assertThat(e.kind()).isEqualTo(EventKind.TCP);
        assertThat(e.timestampNanos()).isEqualTo(123_456_789L);
        assertThat(e.epochNanos()).isEqualTo(123_457_789L);
        assertThat(e.key()).isEqualTo(KEY);
        assertThat(e.packetLength()).isEqualTo(74);
        assertThat(e.tcpFlags()).isEqualTo(TcpFlags.SYN | TcpFlags.ACK);
        assertThat(e.data()).isEmpty();
        assertThat(FlowEvent.read(MemorySegment.ofArray(record(1, 0, 60, new byte[0], 0)), 0).kind()).isEqualTo(EventKind.NEW_FLOW);
        assertThat(FlowEvent.read(MemorySegment.ofArray(record(4, 0, 60, new byte[0], 0)), 0).kind()).isEqualTo(EventKind.OVERFLOW);

        byte[] frame = new byte[128];
        for (int i = 0; i < frame.length; i++) frame[i] = (byte) (i * 7 + 3);
        // a perf buffer may add up to 7 bytes of padding: cap_len, not the record length, bounds the sample
        byte[] padded = record(3, 0, 1500, frame, 4);
        padded[padded.length - 1] = 0x55;
        FlowEvent s = FlowEvent.read(MemorySegment.ofArray(padded), 0);
        assertThat(s.kind()).isEqualTo(EventKind.SAMPLE);
        assertThat(s.packetLength()).isEqualTo(1500);
        assertThat(s.data()).isEqualTo(frame);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(padded.length);
            seg.copyFrom(MemorySegment.ofArray(padded));
            assertThat(FlowEvent.kindCode(seg)).isEqualTo(3);
            assertThat(FlowEvent.captureLength(seg)).isEqualTo(128);
            assertThat(FlowEvent.timestampNanos(seg)).isEqualTo(123_456_789L);
        }
    }

    @Test
    void rejectsShortRecordsAndUnknownKinds() {
        assertThatThrownBy(() -> FlowEvent.read(MemorySegment.ofArray(new byte[63]), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("63 bytes");
        assertThatThrownBy(() -> FlowEvent.read(MemorySegment.ofArray(record(9, 0, 60, new byte[0], 0)), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown flow event kind 9");
        // a cap_len beyond the record (never written by the program) is cut to what is there
        byte[] r = record(3, 0, 60, new byte[10], 0);
        r[58] = (byte) 200;
        assertThat(FlowEvent.read(MemorySegment.ofArray(r), 0).captureLength()).isEqualTo(10);
    }
}
