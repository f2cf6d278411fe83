package io.packetlens.ebpf;

import java.util.Objects;

/**
 * Input of BPF_PROG_TEST_RUN: a packet to run an XDP, TC or socket program on, how often
 * (the kernel times all repetitions and reports the mean), and how much room to give the
 * output packet.
 */
public record TestRun(byte[] data, int repeat, int dataOutSize, byte[] context) {
    public TestRun {
        Objects.requireNonNull(data);
        if (repeat < 0) throw new IllegalArgumentException("repeat must be >= 0");
    }

    /** Runs once on {@code frame}, with room for an output frame up to 2 KiB larger (headroom for encapsulation). */
    public static TestRun of(byte[] frame) {
        return new TestRun(frame, 1, frame.length + 2048, null);
    }

    public TestRun repeat(int n) {
        return new TestRun(data, n, dataOutSize, context);
    }

    public TestRun dataOutSize(int n) {
        return new TestRun(data, repeat, n, context);
    }

    /** Context given to the program ({@code struct xdp_md} or {@code struct __sk_buff}), or null. */
    public TestRun context(byte[] ctx) {
        return new TestRun(data, repeat, dataOutSize, ctx);
    }

    /** The result: the program's return value (an XDP action or TC verdict), the packet as the program left it, and the kernel-measured mean time per run. */
    public record Result(int retval, byte[] dataOut, long durationNanos) {
        /** The return value read as an XDP action. */
        public XdpAction xdpAction() {
            return XdpAction.of(retval);
        }
    }
}
