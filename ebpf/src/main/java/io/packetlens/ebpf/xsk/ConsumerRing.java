package io.packetlens.ebpf.xsk;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A ring user space consumes from: the RX ring (descriptors of received frames) or the
 * completion ring (addresses of sent frames). Usage: {@link #peek} how many entries are
 * ready (an acquire load of the kernel's producer index makes their contents visible),
 * read them with {@link #addr} or {@link #descAddr}/{@link #descLen}, then
 * {@link #release} them with a release store of the consumer index, which hands the slots
 * back to the kernel.
 */
public final class ConsumerRing extends XskRing {
    private int cachedConsumer;
    private int cachedProducer;

    ConsumerRing(RingKind kind, MemorySegment map, MemorySegment offsets, int size) {
        super(kind, map, offsets, size);
        this.cachedConsumer = (int) U32.getAcquire(map, consumer);
        this.cachedProducer = (int) U32.getAcquire(map, producer);
    }

    /** Entries ready to read, at most {@code max}; reads the kernel's index (acquire) only when the cached view is empty. */
    public int peek(int max) {
        int ready = cachedProducer - cachedConsumer;
        if (ready == 0) {
            cachedProducer = (int) U32.getAcquire(map, producer);
            ready = cachedProducer - cachedConsumer;
        }
        return Math.min(ready, max);
    }

    /** Entry {@code i} of the peeked ones as a UMEM address (completion ring). */
    public long addr(int i) {
        return map.get(JAVA_LONG, desc + (long) ((cachedConsumer + i) & mask) * IfXdp.ADDR_SIZE);
    }

    /** The UMEM address of the frame data in peeked descriptor {@code i} (RX ring). */
    public long descAddr(int i) {
        return map.get(JAVA_LONG, desc + (long) ((cachedConsumer + i) & mask) * IfXdp.Desc.SIZE + IfXdp.Desc.ADDR);
    }

    /** The frame length in peeked descriptor {@code i} (RX ring). */
    public int descLen(int i) {
        return map.get(JAVA_INT, desc + (long) ((cachedConsumer + i) & mask) * IfXdp.Desc.SIZE + IfXdp.Desc.LEN);
    }

    /** The options word of peeked descriptor {@code i} (XDP_PKT_CONTD for multi-buffer frames). */
    public int descOptions(int i) {
        return map.get(JAVA_INT, desc + (long) ((cachedConsumer + i) & mask) * IfXdp.Desc.SIZE + IfXdp.Desc.OPTIONS);
    }

    /** Hands {@code n} consumed entries back (release: our reads of them happen before the kernel may reuse the slots). */
    public void release(int n) {
        cachedConsumer += n;
        U32.setRelease(map, consumer, cachedConsumer);
    }
}
