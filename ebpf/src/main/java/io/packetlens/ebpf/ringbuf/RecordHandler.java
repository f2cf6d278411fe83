package io.packetlens.ebpf.ringbuf;

import java.lang.foreign.MemorySegment;

/**
 * Receives one ring buffer record: a read-only view of the record's bytes inside the mapped
 * ring (no copy), valid only for the duration of the call, because the kernel may reuse the
 * space once the consumer position moves past it. Copy what must outlive the call.
 * <p>The view is a new {@code MemorySegment} per record, which the JIT removes only where it
 * can inline the handler; a path that must allocate nothing per record takes a
 * {@link RecordRangeHandler} instead.
 */
@FunctionalInterface
public interface RecordHandler {
    void onRecord(MemorySegment record);
}
