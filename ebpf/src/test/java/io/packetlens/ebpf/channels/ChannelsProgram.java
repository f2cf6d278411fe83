package io.packetlens.ebpf.channels;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.TestRun;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The test producer {@code channels_test.bpf.c}, loaded over a ring buffer or a perf buffer:
 * {@code emit_fixed} emits 32-byte sequence events (optionally discarding odd ones),
 * {@code emit_sized} records of any length up to 4096 bytes with a known pattern. Both number
 * every attempt with a per-CPU sequence, delivered or not.
 */
public final class ChannelsProgram implements AutoCloseable {
    public static final int SEQ_EVENT_BYTES = 32;
    public static final int DISCARD_ODD = 1;
    public static final int PAYLOAD_BYTES = 4096;
    /** Loss slots of packetlens_events.h. */
    public static final int LOST_NO_SPACE = 0, LOST_NO_READER = 1;

    private final BpfObject object;

    private ChannelsProgram(BpfObject object) {
        this.object = object;
        fillPayload();
    }

    public static ObjectSpec spec() {
        return ObjectSpec.fromResource(ChannelsProgram.class, "/bpf/channels_test.bpf.o");
    }

    /** Loads over a ring buffer of {@code ringBytes}. */
    public static ChannelsProgram ring(int ringBytes) {
        ObjectSpec spec = spec();
        spec.map("events").maxEntries(ringBytes);
        return new ChannelsProgram(spec.load());
    }

    /** Loads over a perf buffer (rewriting the ring buffer map, as EventChannel does). */
    public static ChannelsProgram perf() {
        ObjectSpec spec = spec();
        spec.map("events").type(MapType.PERF_EVENT_ARRAY).keySize(4).valueSize(4).maxEntries(0);
        spec.variable("pl_events_perfbuf").set(1);
        return new ChannelsProgram(spec.load());
    }

    /** Loads an already configured spec (e.g. by EventChannel). */
    public static ChannelsProgram of(ObjectSpec spec) {
        return new ChannelsProgram(spec.load());
    }

    public BpfObject object() {
        return object;
    }

    public BpfMap events() {
        return object.map("events");
    }

    /** Runs emit_fixed {@code count} times on the calling thread's CPU. */
    public void emitFixed(int count, int flags) {
        object.program("emit_fixed").testRun(TestRun.of(ctl(0, flags)).repeat(count).dataOutSize(0));
    }

    /** Runs emit_sized once with a record of {@code len} bytes on the calling thread's CPU. */
    public void emitSized(int len) {
        object.program("emit_sized").testRun(TestRun.of(ctl(len, 0)).dataOutSize(0));
    }

    /** The per-CPU loss counter {@code slot} of the events channel. */
    public long[] lostPerCpu(int slot) {
        byte[] v = object.map("events_lost").lookup(intKey(slot)).orElseThrow();
        return PerCpu.longs(MemorySegment.ofArray(v), 0, PerCpu.stride(8));
    }

    public long lost(int slot) {
        byte[] v = object.map("events_lost").lookup(intKey(slot)).orElseThrow();
        return PerCpu.sumLongs(MemorySegment.ofArray(v), 0, PerCpu.stride(8));
    }

    /** Byte i of every record's pattern (past the 16-byte header). */
    public static byte pattern(int i) {
        return (byte) (i * 31 + 7);
    }

    /** The record emit_sized produces for a sequence number on a CPU: header then pattern, cut to len. */
    public static byte[] expectedSized(long seq, int cpu, int len) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(len, 16)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(seq).putInt(cpu).putInt(len);
        for (int i = 16; i < len; i++) b.put(i, pattern(i));
        byte[] out = new byte[len];
        System.arraycopy(b.array(), 0, out, 0, len);
        return out;
    }

    private void fillPayload() {
        int cpus = PerCpu.cpus();
        byte[] value = new byte[cpus * PAYLOAD_BYTES];
        for (int c = 0; c < cpus; c++) {
            for (int i = 0; i < PAYLOAD_BYTES; i++) value[c * PAYLOAD_BYTES + i] = pattern(i);
        }
        object.map("payload").update(intKey(0), value);
    }

    private static byte[] intKey(int k) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(k).array();
    }

    /** The test-run "frame": struct ctl {len, flags} padded to a minimum Ethernet frame. */
    static byte[] ctl(int len, int flags) {
        return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putInt(len).putInt(flags).array();
    }

    @Override
    public void close() {
        object.close();
    }
}
