package io.packetlens.ebpf.xsk;

import java.lang.foreign.MemorySegment;

/**
 * Receives frames from {@link XskSocket#receive} without a copy: {@code umem} is the whole
 * UMEM area and the frame is the {@code length} bytes at {@code offset}. The bytes are
 * valid only during the call (the frame goes back to the fill ring afterwards); copy what
 * must outlive it. Passing the area and an offset rather than a slice keeps the loop free
 * of allocation; {@code umem.asSlice(offset, length)} gives a slice when wanted.
 */
@FunctionalInterface
public interface RxHandler {
    void onFrame(MemorySegment umem, long offset, int length);
}
