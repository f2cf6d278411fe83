package io.packetlens.ebpf.ringbuf;

import java.lang.foreign.MemorySegment;

/**
 * Receives one ring buffer record as where it lies in the mapped ring: the record is the
 * {@code length} bytes at {@code offset} of {@code ring}, a read-only view of the whole
 * (double-mapped) data area, so a record that wraps past the end is still one contiguous range.
 * Valid only during the call, like {@link RecordHandler}'s view: the kernel may reuse the space
 * once the consumer position moves past it.
 * <p>The difference from {@link RecordHandler} is that no object is made per record: a slice is
 * a new {@code MemorySegment}, which the JIT removes only when it can inline the handler into
 * the consume loop. Handlers on a path that must not allocate per record (a packet capture
 * writing every frame) take the range; {@code ring.asSlice(offset, length)} gives the slice when
 * wanted. The same shape as {@link io.packetlens.ebpf.xsk.RxHandler} for AF_XDP frames.
 */
@FunctionalInterface
public interface RecordRangeHandler {
    void onRecord(MemorySegment ring, long offset, int length);
}
