package io.packetlens.trafficgen;

import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.ebpf.xsk.TxFiller;
import io.packetlens.ebpf.xsk.Umem;
import io.packetlens.ebpf.xsk.UmemConfig;
import io.packetlens.ebpf.xsk.XskConfig;
import io.packetlens.ebpf.xsk.XskSocket;
import io.packetlens.ebpf.xsk.XskStatistics;
import io.packetlens.packet.FrameSource;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Sends crafted frames (a {@link FrameSource}: {@link io.packetlens.packet.FlowFrames} for many
 * flows of one address pair, {@link io.packetlens.packet.SourceFrames} for floods from many
 * source addresses, {@link io.packetlens.packet.FrameMix} for several interleaved) out of one
 * queue of an interface through an AF_XDP TX ring, going through the source's frames in turn,
 * as fast as the path takes them or at a given rate. Back-pressure (a full TX ring, no completed frame yet, EAGAIN/EBUSY/ENOBUFS from the
 * wake-up) is waited out and counted, never fatal: on veth a receiver with a native XDP
 * program pushes back this way, and AF_PACKET generators abort on it. Every UMEM frame holds
 * the template from the start, so a packet costs a stamp of a few bytes and a descriptor.
 */
public final class TrafficGenerator implements AutoCloseable {
    private static final int BATCH = 32;

    private final FrameSource frames;
    private final Umem umem;
    private final XskSocket socket;
    private final Stamper stamper = new Stamper();

    /**
     * The result of a run.
     *
     * @param sent         frames the kernel completed
     * @param elapsedNanos from the first frame queued to the last completion
     * @param backPressure times the generator had to wait for room (TX ring full, frames in flight, or the kernel said try again)
     * @param kernel       the socket's XDP_STATISTICS at the end
     */
    public record Result(long sent, long elapsedNanos, long backPressure, XskStatistics kernel) {
        public double packetsPerSecond() {
            return sent / Math.max(elapsedNanos / 1e9, 1e-9);
        }
    }

    private TrafficGenerator(FrameSource frames, Umem umem, XskSocket socket) {
        this.frames = frames;
        this.umem = umem;
        this.socket = socket;
    }

    /** Opens a send-only AF_XDP socket on {@code queue} of {@code ifname} (calling thread's namespace) and fills UMEM with the template. */
    public static TrafficGenerator open(String ifname, int queue, FrameSource frames, BindMode bindMode) {
        if (frames.size() > 4096) throw new IllegalArgumentException("frames larger than 4096 bytes do not fit a UMEM frame");
        int frameSize = frames.size() <= 2048 ? 2048 : 4096;
        Umem umem = Umem.create(UmemConfig.defaults().frameCount(4096).frameSize(frameSize).fillSize(64).completionSize(2048));
        try {
            XskSocket s = XskSocket.open(umem, ifname, queue, XskConfig.txOnly(2048).bindMode(bindMode));
            MemorySegment area = umem.area();
            for (int i = 0; i < umem.frameCount(); i++) frames.writeTemplate(area, (long) i * frameSize);
            return new TrafficGenerator(frames, umem, s);
        } catch (RuntimeException e) {
            umem.close();
            throw e;
        }
    }

    public XskSocket socket() {
        return socket;
    }

    public FrameSource frames() {
        return frames;
    }

    /**
     * Sends {@code count} frames at up to {@code ratePps} per second (0 = as fast as
     * possible), unless {@code stop} says otherwise, then waits up to 10 s for the last
     * completions.
     */
    public Result run(long count, long ratePps, BooleanSupplier stop) {
        long queued = 0;
        long backPressure = 0;
        long completedBefore = socket.txFrames() - socket.txInFlight();
        long start = System.nanoTime();
        while (queued < count && !stop.getAsBoolean()) {
            int want = (int) Math.min(BATCH, count - queued);
            if (ratePps > 0) {
                long due = (long) ((System.nanoTime() - start) / 1e9 * ratePps) - queued;
                if (due <= 0) {
                    LockSupport.parkNanos(Math.max(1_000, 1_000_000_000L / ratePps / 2));
                    continue;
                }
                want = (int) Math.min(want, due);
            }
            int n = socket.transmit(want, stamper);
            queued += n;
            if (n < want) {
                backPressure++;
                // the kernel (or the peer behind it) is behind: reap, nudge and wait a moment
                if (socket.completeTx() == 0) {
                    socket.kickTx();
                    socket.poll(1, true);
                }
            }
        }
        socket.flushTx(10_000);
        long end = System.nanoTime();
        long completed = socket.txFrames() - socket.txInFlight() - completedBefore;
        return new Result(completed, end - start, backPressure + socket.txBusy(), socket.statistics());
    }

    /** Stamps the next frame of the source into each buffer handed out by the TX path. */
    private final class Stamper implements TxFiller {
        private int next;

        @Override
        public int fill(MemorySegment area, long offset, int capacity, int index) {
            frames.stamp(area, offset, next);
            if (++next == frames.frames()) next = 0;
            return frames.size();
        }
    }

    @Override
    public void close() {
        umem.close();
    }
}
