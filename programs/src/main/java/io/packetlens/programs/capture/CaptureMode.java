package io.packetlens.programs.capture;

/** How packetlens capture takes frames at XDP. */
public enum CaptureMode {
    /**
     * The safe default: the XDP program copies each matching frame (up to the snap length)
     * into a BPF ring buffer and passes the original on, so the host's own traffic is
     * untouched. Costs one copy per frame in the kernel.
     */
    MIRROR,
    /**
     * For dedicated capture interfaces: matching frames are redirected into AF_XDP sockets
     * (one per RX queue) and never reach the host stack; non-matching frames pass. No copy
     * through a socket buffer; in zero-copy mode none at all.
     */
    STEAL
}
