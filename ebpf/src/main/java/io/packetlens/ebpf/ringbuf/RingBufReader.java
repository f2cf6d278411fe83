package io.packetlens.ebpf.ringbuf;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.EpollReader;

import java.util.Arrays;
import java.util.List;

/**
 * Reads one or more BPF ring buffers through a single epoll set (libbpf's
 * {@code struct ring_buffer}): each ring is {@link #add added} with its handler, then
 * {@link #read(long)} blocks until records arrive (epoll on the map fds, which are readable
 * while records are pending) and {@link #poll()} takes whatever is there without blocking;
 * {@link #read(long, int)} and {@link #poll(int)} stop after a number of records (libbpf's
 * {@code ring_buffer__consume_n}), starting the next call at the ring where they stopped.
 * Each ring's consumer position is committed once per batch. Handlers take each record as a
 * slice ({@link RecordHandler}) or, allocating nothing per record, as an offset and length in
 * the mapped ring ({@link RecordRangeHandler}). {@link #close()} from another
 * thread wakes a blocked read at once, waits for it to return, then unmaps the rings (the maps
 * stay open).
 * <p>One thread reads at a time; {@code add}, {@code wakeup} and {@code close} may come from any thread.
 */
public final class RingBufReader extends EpollReader {
    private record Entry(RingBuf ring, RecordRangeHandler handler) {}

    private volatile Entry[] entries = new Entry[0];

    /** An empty reader; add rings with {@link #add}. */
    public RingBufReader() {
        super(64);
    }

    /** A reader of one ring buffer map whose records go to {@code handler} as slices. */
    public static RingBufReader open(BpfMap map, RecordHandler handler) {
        return open(map, RingBuf.slicing(handler));
    }

    /** A reader of one ring buffer map whose records go to {@code handler} as ranges of the ring. */
    public static RingBufReader open(BpfMap map, RecordRangeHandler handler) {
        RingBufReader r = new RingBufReader();
        try {
            r.add(map, handler);
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /** Maps {@code map} and adds it to the epoll set; its records go to {@code handler} as slices. */
    public RingBuf add(BpfMap map, RecordHandler handler) {
        return add(map, RingBuf.slicing(handler));
    }

    /** Maps {@code map} and adds it to the epoll set; its records go to {@code handler} as ranges of the ring. */
    public synchronized RingBuf add(BpfMap map, RecordRangeHandler handler) {
        ensureOpen();
        RingBuf ring = RingBuf.map(map);
        try {
            Entry[] old = entries;
            Entry[] grown = Arrays.copyOf(old, old.length + 1);
            grown[old.length] = new Entry(ring, handler);
            watch(ring.mapFd(), old.length);
            entries = grown;
            return ring;
        } catch (RuntimeException e) {
            ring.close();
            throw e;
        }
    }

    /** The rings read, in the order added. */
    public List<RingBuf> rings() {
        return Arrays.stream(entries).map(Entry::ring).toList();
    }

    /** Bytes pending in all rings. */
    public long backlogBytes() {
        long sum = 0;
        for (Entry e : entries) sum += e.ring.backlogBytes();
        return sum;
    }

    @Override
    protected int ringCount() {
        return entries.length;
    }

    @Override
    protected int consumeRing(int index, int maxRecords) {
        Entry e = entries[index];
        return e.ring.consume(e.handler, maxRecords);
    }

    @Override
    protected void releaseRings() {
        for (Entry e : entries) e.ring.close();
    }

    @Override
    public String toString() {
        return "RingBufReader" + rings();
    }
}
