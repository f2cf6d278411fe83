package io.packetlens.trafficgen;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.TestRun;
import io.packetlens.packet.Checksums;
import io.packetlens.packet.FrameMix;
import io.packetlens.packet.SourceFrames;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.BooleanSupplier;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A packet generator in the kernel: the XDP program of {@code trafficgen_live.bpf.c} run by BPF_PROG_TEST_RUN in
 * live-frame mode (BPF_F_TEST_XDP_LIVE_FRAMES), which writes the next frame of a mix of {@link SourceFrames} into each
 * frame and redirects it out of an interface. The frames leave through the device's {@code ndo_xdp_xmit} as
 * xdp_frames, as frames reach a NIC driver: a veth peer's XDP program sees them before any skb is built, and without
 * one the peer builds skbs for the stack (it needs NAPI then: GRO on, or an XDP program). On veth that makes the
 * receiving side behave like a NIC's, where the AF_XDP {@link TrafficGenerator} (copy mode, skb-based) hands the peer
 * skbs that its XDP path must copy first. The calling thread does the sending, on its CPU.
 */
public final class LiveFrameGenerator implements AutoCloseable {
    private static final int REPEAT_PER_CALL = 1 << 18;

    private final BpfObject object;
    private final BpfProgram program;
    private final byte[] frame;

    private LiveFrameGenerator(BpfObject object, byte[] frame) {
        this.object = object;
        this.program = object.program("trafficgen_live");
        this.frame = frame;
    }

    /**
     * Loads the generator for frames of {@code parts} (one frame size, IPv4 without VLAN) in proportions
     * {@code weights}, sent out of {@code ifindex} (an interface of the namespace the sending thread is in).
     */
    public static LiveFrameGenerator open(int ifindex, List<SourceFrames> parts, List<Integer> weights) {
        if (parts.isEmpty() || parts.size() > LiveLayout.PARTS || parts.size() != weights.size()) {
            throw new IllegalArgumentException("1.." + LiveLayout.PARTS + " parts, one weight each");
        }
        // the mix's own layout of a period: the kernel program spreads the parts as FrameMix does
        FrameMix mix = new FrameMix(parts, weights);
        int size = mix.size(), period = mix.period();
        if (period > LiveLayout.PERIOD) throw new IllegalArgumentException("the weights add up to " + period + ", more than " + LiveLayout.PERIOD);
        if (size > LiveLayout.FRAME) throw new IllegalArgumentException("frames of at most " + LiveLayout.FRAME + " bytes, not " + size);
        BpfObject object = ObjectSpec.fromResource(LiveFrameGenerator.class, "/io/packetlens/programs/trafficgen_live.bpf.o").load();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cfg = arena.allocate(LiveLayout.CFG_BYTES, 8);
            cfg.set(JAVA_INT, LiveLayout.CFG_IFINDEX, ifindex);
            cfg.set(JAVA_INT, LiveLayout.CFG_SIZE, size);
            cfg.set(JAVA_INT, LiveLayout.CFG_PERIOD, period);
            for (int k = 0; k < period; k++) {
                cfg.set(JAVA_BYTE, LiveLayout.CFG_PART_AT + k, (byte) mix.partOf(k));
                cfg.set(JAVA_BYTE, LiveLayout.CFG_RANK_AT + k, (byte) mix.rankInPeriod(k));
            }
            for (int i = 0; i < parts.size(); i++) {
                SourceFrames p = parts.get(i);
                long base = LiveLayout.CFG_PARTS + (long) i * LiveLayout.PART_BYTES;
                byte[] t = p.zeroedTemplate();
                MemorySegment.copy(t, 0, cfg, JAVA_BYTE, base + LiveLayout.PART_FRAME, t.length);
                cfg.set(JAVA_INT, base + LiveLayout.PART_FIRST_SRC, p.sourceAddress(0));
                cfg.set(JAVA_INT, base + LiveLayout.PART_SOURCES, p.sources());
                cfg.set(JAVA_INT, base + LiveLayout.PART_PORTS, p.ports());
                cfg.set(JAVA_INT, base + LiveLayout.PART_IP_SUM, hostOrder(p.ipHeaderSum()));
                cfg.set(JAVA_INT, base + LiveLayout.PART_L4_SUM, hostOrder(p.transportSum()));
                cfg.set(JAVA_INT, base + LiveLayout.PART_L4_CSUM_OFF, p.transportChecksumOffset());
                cfg.set(JAVA_INT, base + LiveLayout.PART_WEIGHT, weights.get(i));
            }
            MemorySegment key = arena.allocate(4, 4);
            object.map("gen_config").update(key, cfg);
            byte[] frame = parts.getFirst().zeroedTemplate();
            return new LiveFrameGenerator(object, frame);
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /**
     * A big-endian-word ones'-complement sum as the program adds it: the program reads the frame's words in the CPU's
     * order, and a sum of byte-swapped words is the byte-swapped sum (once folded).
     */
    private static int hostOrder(long beSum) {
        int s = Checksums.fold(beSum);
        return ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? s : Short.reverseBytes((short) s) & 0xffff;
    }

    /** Frames the generator has written, over every CPU (its sequence counters). */
    public long generated() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4, 4), values = arena.allocate(PerCpu.size(8), 8);
            if (!object.map("gen_sequence").lookup(key, values)) return 0;
            return PerCpu.sumLongs(values, 0, PerCpu.stride(8));
        }
    }

    /**
     * Sends {@code count} frames (in calls of up to 262,144), or until {@code stop} says so, from the calling thread;
     * returns the frames the program wrote. A frame whose redirect fails (the peer's ring full, no NAPI on the peer)
     * is dropped by the kernel and counted in the device's XDP statistics, not here.
     */
    public long run(long count, BooleanSupplier stop) {
        long before = generated();
        long done = 0;
        while (done < count && !stop.getAsBoolean()) {
            int n = (int) Math.min(REPEAT_PER_CALL, count - done);
            program.testRun(TestRun.of(frame).repeat(n).liveFrames(64));
            done += n;
        }
        return generated() - before;
    }

    @Override
    public void close() {
        object.close();
    }
}
