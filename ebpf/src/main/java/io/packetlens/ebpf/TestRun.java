package io.packetlens.ebpf;

import java.util.Objects;

/**
 * Input of BPF_PROG_TEST_RUN: a packet to run an XDP, TC or socket program on, how often
 * (the kernel times all repetitions and reports the mean), and how much room to give the
 * output packet. With {@link #liveFrames} (BPF_F_TEST_XDP_LIVE_FRAMES, kernel 5.18) an XDP
 * program's verdicts are carried out: XDP_TX and XDP_REDIRECT send real frames, which makes
 * the call a packet generator.
 *
 * @param flags     BPF_F_TEST_* flags
 * @param batchSize frames per batch in live-frame mode (0: the kernel's default, 64)
 */
public record TestRun(byte[] data, int repeat, int dataOutSize, byte[] context, int flags, int batchSize) {
    /** BPF_F_TEST_XDP_LIVE_FRAMES. */
    public static final int LIVE_FRAMES = 1 << 1;

    public TestRun {
        Objects.requireNonNull(data);
        if (repeat < 0) throw new IllegalArgumentException("repeat must be >= 0");
        if (batchSize < 0) throw new IllegalArgumentException("batch size must be >= 0");
    }

    public TestRun(byte[] data, int repeat, int dataOutSize, byte[] context) {
        this(data, repeat, dataOutSize, context, 0, 0);
    }

    /** Runs once on {@code frame}, with room for an output frame up to 2 KiB larger (headroom for encapsulation). */
    public static TestRun of(byte[] frame) {
        return new TestRun(frame, 1, frame.length + 2048, null);
    }

    public TestRun repeat(int n) {
        return new TestRun(data, n, dataOutSize, context, flags, batchSize);
    }

    public TestRun dataOutSize(int n) {
        return new TestRun(data, repeat, n, context, flags, batchSize);
    }

    /** Context given to the program ({@code struct xdp_md} or {@code struct __sk_buff}), or null. */
    public TestRun context(byte[] ctx) {
        return new TestRun(data, repeat, dataOutSize, ctx, flags, batchSize);
    }

    /**
     * Live-frame mode for XDP programs: every repetition runs on a fresh frame from a page pool
     * (initialised from {@link #data} once per page, not per run) and its verdict is executed.
     * The kernel returns no output frame in this mode, so there is none to make room for.
     */
    public TestRun liveFrames(int batch) {
        return new TestRun(data, repeat, 0, context, flags | LIVE_FRAMES, batch);
    }

    /** The result: the program's return value (an XDP action or TC verdict), the packet as the program left it, and the kernel-measured mean time per run. */
    public record Result(int retval, byte[] dataOut, long durationNanos) {
        /** The return value read as an XDP action. */
        public XdpAction xdpAction() {
            return XdpAction.of(retval);
        }
    }
}
