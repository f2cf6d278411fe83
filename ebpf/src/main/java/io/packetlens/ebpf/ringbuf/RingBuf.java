package io.packetlens.ebpf.ringbuf;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.sys.Mmap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One BPF ring buffer ({@code BPF_MAP_TYPE_RINGBUF}, kernel/bpf/ringbuf.c) mapped into this
 * process, and the consumer side of its protocol. Layout of the map's mmap space:
 * <pre>
 *  offset 0          page: consumer_pos (u64)   mapped read-write, written only by us
 *  offset page       page: producer_pos (u64)   mapped read-only
 *  offset 2 * page   data, size bytes, then the same pages again (the kernel maps them twice)
 * </pre>
 * Each record starts on an 8-byte boundary with an 8-byte header: {@code u32 len} whose top bit
 * is BUSY (reserved, not yet submitted) and next bit DISCARD, then {@code u32 pg_off} (kernel
 * use). Because the data pages follow themselves, a record that wraps past the end is still one
 * contiguous range, so records are handed out as views without copying: as a slice
 * ({@link RecordHandler}) or, allocating nothing per record, as an offset and length in the
 * mapped ring ({@link RecordRangeHandler}).
 * <p>Ordering: producer_pos is read with acquire semantics (pairs with the kernel's
 * {@code smp_store_release} in reserve), each header with acquire (pairs with the kernel's
 * {@code xchg} in submit, so the record's bytes are visible once BUSY is clear), and
 * consumer_pos is written with release semantics after the records were read, so the kernel
 * never reuses space we are still reading. One thread consumes a ring at a time.
 */
public final class RingBuf implements AutoCloseable {
    /** Record header size and flag bits ({@code BPF_RINGBUF_HDR_SZ}, {@code BPF_RINGBUF_BUSY_BIT}, {@code BPF_RINGBUF_DISCARD_BIT}). */
    public static final int HEADER_BYTES = 8;
    static final int BUSY_BIT = 1 << 31, DISCARD_BIT = 1 << 30;
    private static final int LENGTH_MASK = ~(BUSY_BIT | DISCARD_BIT);

    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final String name;
    private final int mapFd;
    private final Arena arena;
    private final MemorySegment consumer;
    private final MemorySegment producer;
    private final MemorySegment data;
    private final int size;
    private final long mask;
    /** Our copy of consumer_pos: only this consumer writes it, so it never needs re-reading. */
    private long consumerPos;

    RingBuf(String name, int mapFd, Arena arena, MemorySegment consumer, MemorySegment producer, MemorySegment data, int size) {
        if (Integer.bitCount(size) != 1) throw new IllegalArgumentException("ring size " + size + " is not a power of two");
        if (data.byteSize() < 2L * size) throw new IllegalArgumentException("data area must hold the ring twice");
        this.name = name;
        this.mapFd = mapFd;
        this.arena = arena;
        this.consumer = consumer;
        this.producer = producer.asReadOnly();
        this.data = data.asReadOnly();
        this.size = size;
        this.mask = size - 1;
        this.consumerPos = (long) LONG.getAcquire(consumer, 0L);
    }

    /** Maps a ring buffer map: the consumer page read-write, the producer page and the doubled data area read-only. */
    public static RingBuf map(BpfMap map) {
        if (map.type() != MapType.RINGBUF) throw new BpfException("map " + map.name() + " is " + map.type() + ", not a RINGBUF");
        long page = Mmap.pageSize();
        int size = map.maxEntries();
        Arena arena = Arena.ofShared();
        try {
            MemorySegment consumer = Mmap.map(map.fd(), 0, page, Mmap.PROT_READ | Mmap.PROT_WRITE, arena, "ring buffer " + map.name() + " consumer page");
            MemorySegment rest = Mmap.map(map.fd(), page, page + 2L * size, Mmap.PROT_READ, arena, "ring buffer " + map.name() + " producer page and data");
            return new RingBuf(map.name(), map.fd(), arena, consumer, rest.asSlice(0, page), rest.asSlice(page, 2L * size), size);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    /** The map's fd (owned by the map), for epoll: readable while records are pending. */
    public int mapFd() {
        return mapFd;
    }

    /** Size of the data area in bytes (the map's max_entries). */
    public int size() {
        return size;
    }

    /** Largest record the kernel accepts into this ring: header plus data, rounded to 8, must stay below the ring size. */
    public int maxRecordSize() {
        return size - 2 * HEADER_BYTES;
    }

    /** Bytes written by producers (including busy and discarded records) not yet consumed. */
    public long backlogBytes() {
        return (long) LONG.getAcquire(producer, 0L) - consumerPos;
    }

    /** The producer position: bytes ever reserved in this ring. */
    public long producerPosition() {
        return (long) LONG.getAcquire(producer, 0L);
    }

    /** The consumer position: bytes ever consumed from this ring. */
    public long consumerPosition() {
        return consumerPos;
    }

    /** Consumes every submitted record now available, as slices; see {@link #consume(RecordRangeHandler, int)}. */
    public int consume(RecordHandler handler) {
        return consume(handler, Integer.MAX_VALUE);
    }

    /** Like {@link #consume(RecordRangeHandler, int)}, handing each record over as a slice of the ring. */
    public int consume(RecordHandler handler, int maxRecords) {
        return consume(slicing(handler), maxRecords);
    }

    /** Consumes every submitted record now available; see {@link #consume(RecordRangeHandler, int)}. */
    public int consume(RecordRangeHandler handler) {
        return consume(handler, Integer.MAX_VALUE);
    }

    /**
     * Hands up to {@code maxRecords} submitted records to {@code handler} in ring order, without
     * blocking, skipping discarded ones and stopping at the first record still being written; then
     * commits the consumer position once for the whole batch. Returns the number of records handed
     * over. If the handler throws, the records up to and including the one it threw on count as
     * consumed (so a bad record is not delivered forever). Allocates nothing.
     */
    public int consume(RecordRangeHandler handler, int maxRecords) {
        // Headers are read from, and records handed out of, one and the same segment: the JIT then
        // loads its bounds and session state once per record, not twice (a tenth of the cost of a
        // 64-byte record).
        if (maxRecords <= 0) return 0;
        final MemorySegment ring = this.data;
        final long mask = this.mask;
        long cons = consumerPos;
        int n = 0;
        try {
            long prod = (long) LONG.getAcquire(producer, 0L);
            while (cons < prod) {
                do {
                    long off = cons & mask;
                    int header = (int) INT.getAcquire(ring, off);
                    if (header < 0) return n; // BUSY is the sign bit: stop at a record still being written
                    // header bytes plus length rounded up to 8, the flag bits cleared in the same step
                    // (a length is below the ring size, so adding 15 never carries into them)
                    cons += (header + HEADER_BYTES + 7) & (LENGTH_MASK & ~7);
                    if ((header & DISCARD_BIT) == 0) {
                        handler.onRecord(ring, off + HEADER_BYTES, header & LENGTH_MASK);
                        if (++n == maxRecords) return n;
                    }
                } while (cons < prod);
                // caught up with what we saw: look again before committing, producers may have moved on
                prod = (long) LONG.getAcquire(producer, 0L);
            }
            return n;
        } finally {
            if (cons != consumerPos) {
                consumerPos = cons;
                LONG.setRelease(consumer, 0L, cons);
            }
        }
    }

    /**
     * {@code handler} as a range handler that slices each record out of the ring. One class for
     * all slice handlers, so the consume loop's call site sees at most this and the range
     * handlers of allocation-free paths.
     */
    static RecordRangeHandler slicing(RecordHandler handler) {
        return new Slicing(handler);
    }

    private record Slicing(RecordHandler handler) implements RecordRangeHandler {
        @Override
        public void onRecord(MemorySegment ring, long offset, int length) {
            handler.onRecord(ring.asSlice(offset, length));
        }
    }

    /** Unmaps the ring (the map itself stays open). No consume may run concurrently. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "RingBuf[" + name + " size=" + size + " consumer=" + consumerPos + "]";
    }
}
