package io.packetlens.ebpf.events;

import io.packetlens.ebpf.perf.SampleHandler;
import io.packetlens.ebpf.ringbuf.RecordHandler;

import java.lang.foreign.MemorySegment;

/**
 * Receives one event from an {@link EventSource}, whichever channel carries it: a read-only
 * view of the event's bytes, valid only during the call. Over a perf buffer the view may end
 * with up to 7 bytes of kernel padding (see {@link SampleHandler}); over a ring buffer it is
 * exactly what the program emitted.
 */
@FunctionalInterface
public interface EventHandler extends RecordHandler, SampleHandler {
    @Override
    void onRecord(MemorySegment event);
}
