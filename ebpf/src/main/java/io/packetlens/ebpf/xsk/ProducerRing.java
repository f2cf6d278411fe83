package io.packetlens.ebpf.xsk;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A ring user space produces into: the fill ring (empty UMEM frames for the kernel to
 * receive into) or the TX ring (descriptors of frames to send). Usage: {@link #reserve}
 * slots, write them with {@link #putAddr} or {@link #putDesc}, then {@link #submit}, which
 * publishes them with a release store of the producer index.
 */
public final class ProducerRing extends XskRing {
    /** Our producer index; only we write it, so it need not be re-read. */
    private int cachedProducer;
    /** Last consumer index read plus size: free slots are cachedLimit - cachedProducer. */
    private int cachedLimit;
    private int reserved;

    ProducerRing(RingKind kind, MemorySegment map, MemorySegment offsets, int size) {
        super(kind, map, offsets, size);
        this.cachedProducer = (int) U32.getAcquire(map, producer);
        this.cachedLimit = (int) U32.getAcquire(map, consumer) + size;
    }

    /** Free slots, re-reading the kernel's consumer index (acquire) only when the cached view has fewer than {@code wanted}. */
    public int free(int wanted) {
        int free = cachedLimit - cachedProducer;
        if (free >= wanted) return free;
        // acquire: the kernel finished reading the entries it consumed before we overwrite them
        cachedLimit = (int) U32.getAcquire(map, consumer) + size;
        return cachedLimit - cachedProducer;
    }

    /** Reserves up to {@code wanted} slots and returns how many it got (possibly 0); fill them as entries 0..n-1. */
    public int reserve(int wanted) {
        int n = Math.min(wanted, free(wanted));
        reserved = Math.max(n, 0);
        return reserved;
    }

    /** Writes a UMEM address into reserved entry {@code i} (fill ring). */
    public void putAddr(int i, long addr) {
        map.set(JAVA_LONG, desc + (long) ((cachedProducer + i) & mask) * IfXdp.ADDR_SIZE, addr);
    }

    /** Writes a descriptor into reserved entry {@code i} (TX ring). */
    public void putDesc(int i, long addr, int len) {
        long at = desc + (long) ((cachedProducer + i) & mask) * IfXdp.Desc.SIZE;
        map.set(JAVA_LONG, at + IfXdp.Desc.ADDR, addr);
        map.set(JAVA_INT, at + IfXdp.Desc.LEN, len);
        map.set(JAVA_INT, at + IfXdp.Desc.OPTIONS, 0);
    }

    /** Publishes the first {@code n} reserved entries (release: the entries are visible before the new index). */
    public void submit(int n) {
        if (n < 0 || n > reserved) throw new IllegalArgumentException("submit " + n + " of " + reserved + " reserved");
        cachedProducer += n;
        reserved = 0;
        U32.setRelease(map, producer, cachedProducer);
    }

    /** Entries published and not yet consumed by the kernel. */
    public int outstanding() {
        return cachedProducer - (int) U32.getAcquire(map, consumer);
    }
}
