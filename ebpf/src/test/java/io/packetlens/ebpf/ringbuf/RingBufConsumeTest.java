package io.packetlens.ebpf.ringbuf;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The consumer protocol on a ring laid out in ordinary memory the way the kernel lays it out
 * (data area written twice to stand in for the double mapping), so that states the kernel
 * rarely shows on demand, a record still BUSY, can be set up exactly.
 */
class RingBufConsumeTest {
    private static final int SIZE = 256;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment consumer = arena.allocate(8, 8);
    private final MemorySegment producer = arena.allocate(8, 8);
    private final MemorySegment data = arena.allocate(2 * SIZE, 8);
    private long prod;

    @AfterEach
    void free() {
        if (arena.scope().isAlive()) arena.close();
    }

    private RingBuf ring() {
        return new RingBuf("fake", -1, arena, consumer, producer, data, SIZE);
    }

    /** Writes a record as the kernel would, in both copies of the data area; returns its position. */
    private long write(int len, int flags, byte fill) {
        long pos = prod;
        long off = pos & (SIZE - 1);
        byte[] rec = new byte[RingBuf.HEADER_BYTES + len];
        java.nio.ByteBuffer.wrap(rec).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(len | flags);
        for (int i = 0; i < len; i++) rec[RingBuf.HEADER_BYTES + i] = (byte) (fill + i);
        for (int i = 0; i < rec.length; i++) {
            long o = (off + i) % SIZE;
            data.set(JAVA_BYTE, o, rec[i]);
            data.set(JAVA_BYTE, o + SIZE, rec[i]);
        }
        prod += (RingBuf.HEADER_BYTES + len + 7) & ~7;
        producer.set(JAVA_LONG, 0, prod);
        return pos;
    }

    private void setHeader(long pos, int header) {
        long off = pos & (SIZE - 1);
        data.set(JAVA_INT, off, header);
        data.set(JAVA_INT, off + SIZE, header);
    }

    private static List<byte[]> drain(RingBuf ring, int max) {
        List<byte[]> out = new ArrayList<>();
        ring.consume(r -> out.add(r.toArray(JAVA_BYTE)), max);
        return out;
    }

    @Test
    void stopsAtBusyRecordAndResumesOnceSubmitted() {
        RingBuf ring = ring();
        write(5, 0, (byte) 10);
        long busy = write(9, RingBuf.BUSY_BIT, (byte) 20);
        write(3, 0, (byte) 30);
        List<byte[]> first = drain(ring, Integer.MAX_VALUE);
        assertThat(first).hasSize(1);
        assertThat(first.get(0)).containsExactly(10, 11, 12, 13, 14);
        // committed only up to the busy record: 8 + 5 rounded to 16
        assertThat(consumer.get(JAVA_LONG, 0)).isEqualTo(16);
        setHeader(busy, 9);
        List<byte[]> second = drain(ring, Integer.MAX_VALUE);
        assertThat(second).extracting(b -> b.length).containsExactly(9, 3);
        assertThat(consumer.get(JAVA_LONG, 0)).isEqualTo(prod);
        assertThat(ring.backlogBytes()).isZero();
    }

    @Test
    void skipsDiscardedRecordsButConsumesTheirSpace() {
        RingBuf ring = ring();
        write(8, 0, (byte) 1);
        write(40, RingBuf.DISCARD_BIT, (byte) 2);
        write(8, 0, (byte) 3);
        assertThat(drain(ring, Integer.MAX_VALUE)).extracting(b -> b[0]).containsExactly((byte) 1, (byte) 3);
        assertThat(consumer.get(JAVA_LONG, 0)).isEqualTo(prod);
    }

    @Test
    void recordsWrappingTheEndAreContiguousViews() {
        RingBuf ring = ring();
        write(200, 0, (byte) 0);
        drain(ring, Integer.MAX_VALUE); // consumer at 208
        long pos = write(100, 0, (byte) 50); // bytes 216..315 wrap past 256
        assertThat((pos & (SIZE - 1)) + RingBuf.HEADER_BYTES + 100).isGreaterThan(SIZE);
        List<byte[]> got = drain(ring, Integer.MAX_VALUE);
        assertThat(got).hasSize(1);
        for (int i = 0; i < 100; i++) assertThat(got.get(0)[i]).isEqualTo((byte) (50 + i));
    }

    @Test
    void commitsOncePerBatchAndHonoursTheLimit() {
        RingBuf ring = ring();
        for (int i = 0; i < 6; i++) write(8, 0, (byte) i);
        List<Long> seenCommitted = new ArrayList<>();
        int n = ring.consume(r -> seenCommitted.add(consumer.get(JAVA_LONG, 0)), 4);
        assertThat(n).isEqualTo(4);
        // the kernel-visible position did not move while the batch ran, and moved once after it
        assertThat(seenCommitted).containsOnly(0L);
        assertThat(consumer.get(JAVA_LONG, 0)).isEqualTo(4 * 16);
        assertThat(ring.consume(r -> { })).isEqualTo(2);
    }

    @Test
    void recordViewsAreReadOnly() {
        RingBuf ring = ring();
        write(8, 0, (byte) 1);
        ring.consume(r -> assertThat(r.isReadOnly()).isTrue());
    }

    @Test
    void aThrowingHandlerStillConsumesTheRecordItThrewOn() {
        RingBuf ring = ring();
        write(8, 0, (byte) 1);
        write(8, 0, (byte) 2);
        write(8, 0, (byte) 3);
        assertThatThrownBy(() -> ring.consume(r -> {
            if (r.get(JAVA_BYTE, 0) == 2) throw new IllegalStateException("bad record");
        })).hasMessage("bad record");
        assertThat(consumer.get(JAVA_LONG, 0)).isEqualTo(32);
        assertThat(drain(ring, Integer.MAX_VALUE)).extracting(b -> b[0]).containsExactly((byte) 3);
    }

    @Test
    void rangeHandlersGetTheRecordsPlaceInTheRingIncludingAWrappedOne() {
        RingBuf ring = ring();
        List<long[]> ranges = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        RecordRangeHandler handler = (area, offset, length) -> {
            assertThat(area.isReadOnly()).isTrue();
            assertThat(area.byteSize()).as("the whole double-mapped data area").isEqualTo(2 * SIZE);
            ranges.add(new long[] {offset, length});
            bytes.add(area.asSlice(offset, length).toArray(JAVA_BYTE));
        };
        write(200, 0, (byte) 0);
        assertThat(ring.consume(handler)).isEqualTo(1); // consumer at 208
        long wrapped = write(100, 0, (byte) 50); // bytes 216..315 wrap past 256
        assertThat(ring.consume(handler)).isEqualTo(1);
        assertThat(ranges.get(0)).containsExactly(RingBuf.HEADER_BYTES, 200);
        assertThat(ranges.get(1)).containsExactly((wrapped & (SIZE - 1)) + RingBuf.HEADER_BYTES, 100);
        assertThat(ranges.get(1)[0] + ranges.get(1)[1]).as("the wrapped record runs on into the second mapping").isGreaterThan(SIZE);
        for (int i = 0; i < 100; i++) assertThat(bytes.get(1)[i]).isEqualTo((byte) (50 + i));
        assertThat(consumer.get(JAVA_LONG, 0)).isEqualTo(prod);
    }

    @Test
    void rangeAndSliceHandlersFollowTheSameProtocol() {
        // the slice form is the range form plus a slice: same records, same stops, same commits
        RingBuf ring = ring();
        write(5, 0, (byte) 10);
        write(40, RingBuf.DISCARD_BIT, (byte) 2);
        write(6, 0, (byte) 20);
        long busy = write(9, RingBuf.BUSY_BIT, (byte) 30);
        List<byte[]> got = new ArrayList<>();
        assertThat(ring.consume((area, offset, length) -> got.add(area.asSlice(offset, length).toArray(JAVA_BYTE)), 1)).isEqualTo(1);
        assertThat(consumer.get(JAVA_LONG, 0)).isEqualTo(16);
        assertThat(ring.consume((area, offset, length) -> got.add(area.asSlice(offset, length).toArray(JAVA_BYTE)))).isEqualTo(1);
        assertThat(consumer.get(JAVA_LONG, 0)).isEqualTo(busy);
        setHeader(busy, 9);
        got.addAll(drain(ring, Integer.MAX_VALUE));
        assertThat(got).extracting(b -> b[0]).containsExactly((byte) 10, (byte) 20, (byte) 30);
        assertThat(ring.backlogBytes()).isZero();
    }
}
