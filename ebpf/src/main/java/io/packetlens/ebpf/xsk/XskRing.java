package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One AF_XDP ring mapped into this process: a power-of-two array of entries plus a u32
 * producer index, a u32 consumer index and a u32 flags word, at the offsets the kernel
 * reported in {@code struct xdp_mmap_offsets}. One side only ever writes the producer, the
 * other only the consumer; each publishes with a release store and reads the other's index
 * with an acquire load, which is all the ordering the protocol needs (the kernel's
 * {@code smp_load_acquire}/{@code smp_store_release} pairs in net/xdp/xsk_queue.h).
 * Indexes are free-running u32 values; Java's int arithmetic wraps the same way.
 * Not thread-safe: one thread drives a ring.
 */
public abstract sealed class XskRing implements AutoCloseable permits ProducerRing, ConsumerRing {
    /** u32 access at a byte offset of the mapping; acquire/release modes come from the VarHandle. */
    static final VarHandle U32 = JAVA_INT.varHandle();
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;

    final RingKind kind;
    final MemorySegment map;
    final long producer;
    final long consumer;
    final long flags;
    final long desc;
    final int size;
    final int mask;
    private boolean closed;

    XskRing(RingKind kind, MemorySegment map, MemorySegment offsets, int size) {
        this.kind = kind;
        this.map = map;
        long at = kind.offsetsAt;
        this.producer = offsets.get(JAVA_LONG, at + IfXdp.MmapOffsets.PRODUCER);
        this.consumer = offsets.get(JAVA_LONG, at + IfXdp.MmapOffsets.CONSUMER);
        this.desc = offsets.get(JAVA_LONG, at + IfXdp.MmapOffsets.DESC);
        this.flags = offsets.get(JAVA_LONG, at + IfXdp.MmapOffsets.FLAGS);
        this.size = size;
        this.mask = size - 1;
    }

    /** mmaps ring {@code kind} of socket {@code fd} with {@code size} entries, given the socket's xdp_mmap_offsets. */
    static MemorySegment mapRing(int fd, RingKind kind, MemorySegment offsets, int size) {
        long descOff = offsets.get(JAVA_LONG, kind.offsetsAt + IfXdp.MmapOffsets.DESC);
        long length = descOff + (long) size * kind.entrySize;
        long addr = Syscalls.mmap(0, length, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, kind.pgoff);
        if (addr < 0) throw BpfException.of("mmap of the AF_XDP " + kind + " ring (" + size + " entries)", (int) -addr);
        return MemorySegment.ofAddress(addr).reinterpret(length);
    }

    public RingKind kind() {
        return kind;
    }

    /** Number of entries (a power of two). */
    public int size() {
        return size;
    }

    /**
     * Whether the kernel asked for a wake-up (XDP_RING_NEED_WAKEUP). The full fence orders
     * our preceding index store before this load: without it the kernel could set the flag
     * after we read it and then miss our new index, and both sides would sleep.
     */
    public boolean needsWakeup() {
        VarHandle.fullFence();
        return ((int) U32.getVolatile(map, flags) & IfXdp.XDP_RING_NEED_WAKEUP) != 0;
    }

    /** The kernel's producer index right now (acquire load); for diagnostics and tests. */
    public int producerIndex() {
        return (int) U32.getAcquire(map, producer);
    }

    /** The consumer index right now (acquire load); for diagnostics and tests. */
    public int consumerIndex() {
        return (int) U32.getAcquire(map, consumer);
    }

    /** Unmaps the ring. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Syscalls.munmap(map.address(), map.byteSize());
    }

    @Override
    public String toString() {
        return kind + " ring[" + size + "] prod=" + Integer.toUnsignedString(producerIndex())
                + " cons=" + Integer.toUnsignedString(consumerIndex());
    }
}
