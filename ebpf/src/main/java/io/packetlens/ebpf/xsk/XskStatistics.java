package io.packetlens.ebpf.xsk;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The kernel's counters for one AF_XDP socket ({@code struct xdp_statistics}, from
 * getsockopt XDP_STATISTICS).
 *
 * @param rxDropped            frames dropped for other reasons (no free frame in the fill ring, frame too big)
 * @param rxInvalidDescs       fill-ring entries the kernel rejected
 * @param txInvalidDescs       TX descriptors the kernel rejected (bad address or length)
 * @param rxRingFull           frames dropped because the RX ring was full (user space too slow)
 * @param rxFillRingEmptyDescs times the kernel found the fill ring empty
 * @param txRingEmptyDescs     times the kernel found the TX ring empty when woken
 */
public record XskStatistics(long rxDropped, long rxInvalidDescs, long txInvalidDescs, long rxRingFull,
                            long rxFillRingEmptyDescs, long txRingEmptyDescs) {
    public static final XskStatistics ZERO = new XskStatistics(0, 0, 0, 0, 0, 0);

    static XskStatistics read(MemorySegment s) {
        return new XskStatistics(s.get(JAVA_LONG, IfXdp.Statistics.RX_DROPPED), s.get(JAVA_LONG, IfXdp.Statistics.RX_INVALID_DESCS),
                s.get(JAVA_LONG, IfXdp.Statistics.TX_INVALID_DESCS), s.get(JAVA_LONG, IfXdp.Statistics.RX_RING_FULL),
                s.get(JAVA_LONG, IfXdp.Statistics.RX_FILL_RING_EMPTY_DESCS), s.get(JAVA_LONG, IfXdp.Statistics.TX_RING_EMPTY_DESCS));
    }

    /** Received frames lost in the kernel: dropped, invalid, or no room in the RX ring. */
    public long rxLost() {
        return rxDropped + rxInvalidDescs + rxRingFull;
    }

    public XskStatistics plus(XskStatistics o) {
        return new XskStatistics(rxDropped + o.rxDropped, rxInvalidDescs + o.rxInvalidDescs, txInvalidDescs + o.txInvalidDescs,
                rxRingFull + o.rxRingFull, rxFillRingEmptyDescs + o.rxFillRingEmptyDescs, txRingEmptyDescs + o.txRingEmptyDescs);
    }
}
