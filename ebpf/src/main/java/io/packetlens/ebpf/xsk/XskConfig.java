package io.packetlens.ebpf.xsk;

/**
 * Per-socket settings of an AF_XDP socket.
 *
 * @param rxSize     RX ring entries (a power of two), 0 for a send-only socket
 * @param txSize     TX ring entries (a power of two), 0 for a receive-only socket
 * @param bindMode   copy, zero-copy, or whatever the driver offers
 * @param needWakeup bind with XDP_USE_NEED_WAKEUP, so the kernel only wants syscalls when it flags a ring
 * @param fillFrames frames moved from the UMEM's free stack to the fill ring at open (capped by both)
 * @param fillSize   fill ring entries when this socket needs its own fill ring (another device or queue than the UMEM's first socket)
 * @param completionSize completion ring entries in that case
 */
public record XskConfig(int rxSize, int txSize, BindMode bindMode, boolean needWakeup, int fillFrames,
                        int fillSize, int completionSize) {
    public static final XskConfig DEFAULT = new XskConfig(2048, 2048, BindMode.AUTO, true, 2048, 2048, 2048);

    public XskConfig {
        if (rxSize == 0 && txSize == 0) throw new IllegalArgumentException("a socket needs an RX or a TX ring");
        if (rxSize != 0) UmemConfig.powerOfTwo("rxSize", rxSize);
        if (txSize != 0) UmemConfig.powerOfTwo("txSize", txSize);
        UmemConfig.powerOfTwo("fillSize", fillSize);
        UmemConfig.powerOfTwo("completionSize", completionSize);
        if (fillFrames < 0) throw new IllegalArgumentException("fillFrames must be >= 0");
        if (bindMode == null) throw new IllegalArgumentException("bindMode");
    }

    public static XskConfig defaults() {
        return DEFAULT;
    }

    /** A receive-only socket with an RX ring of {@code rxSize} entries. */
    public static XskConfig rxOnly(int rxSize) {
        return new XskConfig(rxSize, 0, BindMode.AUTO, true, DEFAULT.fillFrames, DEFAULT.fillSize, DEFAULT.completionSize);
    }

    /** A send-only socket (no frames go to the fill ring). */
    public static XskConfig txOnly(int txSize) {
        return new XskConfig(0, txSize, BindMode.AUTO, true, 0, DEFAULT.fillSize, DEFAULT.completionSize);
    }

    public XskConfig rxSize(int n) {
        return new XskConfig(n, txSize, bindMode, needWakeup, fillFrames, fillSize, completionSize);
    }

    public XskConfig txSize(int n) {
        return new XskConfig(rxSize, n, bindMode, needWakeup, fillFrames, fillSize, completionSize);
    }

    public XskConfig bindMode(BindMode m) {
        return new XskConfig(rxSize, txSize, m, needWakeup, fillFrames, fillSize, completionSize);
    }

    public XskConfig needWakeup(boolean b) {
        return new XskConfig(rxSize, txSize, bindMode, b, fillFrames, fillSize, completionSize);
    }

    public XskConfig fillFrames(int n) {
        return new XskConfig(rxSize, txSize, bindMode, needWakeup, n, fillSize, completionSize);
    }

    public XskConfig ownRings(int fill, int completion) {
        return new XskConfig(rxSize, txSize, bindMode, needWakeup, fillFrames, fill, completion);
    }
}
