package io.packetlens.ebpf.xsk;

import java.lang.foreign.MemorySegment;

/**
 * Writes one frame to send straight into UMEM for {@link XskSocket#transmit}: the frame
 * starts at {@code offset} in {@code umem} and may use up to {@code capacity} bytes.
 * Returns the frame's length, or 0 to stop filling (the frame is not sent).
 */
@FunctionalInterface
public interface TxFiller {
    int fill(MemorySegment umem, long offset, int capacity, int index);
}
