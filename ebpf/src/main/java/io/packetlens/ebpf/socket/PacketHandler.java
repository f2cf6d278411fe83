package io.packetlens.ebpf.socket;

import java.lang.foreign.MemorySegment;

/**
 * Takes the frames a {@link PacketRing} hands out, one call per frame, on the reading thread. The frame's bytes are
 * {@link PacketRing.Frame#snapLength()} bytes of {@code ring} at {@code offset}, where the kernel wrote them: valid
 * only during the call (the block goes back to the kernel afterwards), and never copied by the ring. Must not keep
 * {@code frame} either: it is one object, refilled for every frame.
 */
@FunctionalInterface
public interface PacketHandler {
    void onFrame(MemorySegment ring, long offset, PacketRing.Frame frame);
}
