package io.packetlens.ebpf.ringbuf;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.sys.Epoll;
import io.packetlens.ebpf.sys.EventFd;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads one or more BPF ring buffers through a single epoll set (libbpf's
 * {@code struct ring_buffer}): each ring is {@link #add added} with its handler, then
 * {@link #read(Duration)} blocks until records arrive (epoll on the map fds) and
 * {@link #poll()} takes whatever is there without blocking. Each ring's consumer position is
 * committed once per batch. {@link #close()} from another thread wakes a blocked read at once
 * (an eventfd in the same epoll set), waits for it to return, then unmaps the rings.
 * <p>One thread reads at a time; {@code add}, {@code wakeup} and {@code close} may come from any thread.
 */
public final class RingBufReader implements AutoCloseable {
    /** Returned by {@link #read} and {@link #poll} once the reader is closed. */
    public static final int CLOSED = -1;
    private static final long WAKE_TAG = -1;

    private record Entry(RingBuf ring, RecordHandler handler) {}

    private final Epoll epoll;
    private final EventFd wake;
    private final ReentrantLock reading = new ReentrantLock();
    private volatile Entry[] entries = new Entry[0];
    private volatile boolean closed;
    private boolean released;
    private boolean releaseOnUnlock;

    /** An empty reader; add rings with {@link #add}. */
    public RingBufReader() {
        epoll = new Epoll(64);
        try {
            wake = new EventFd();
            epoll.add(wake.fd(), Epoll.EPOLLIN, WAKE_TAG);
        } catch (RuntimeException e) {
            epoll.close();
            throw e;
        }
    }

    /** A reader of one ring buffer map. */
    public static RingBufReader open(BpfMap map, RecordHandler handler) {
        RingBufReader r = new RingBufReader();
        try {
            r.add(map, handler);
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /** Maps {@code map} and adds it to the epoll set; its records go to {@code handler}. */
    public synchronized RingBuf add(BpfMap map, RecordHandler handler) {
        if (closed) throw new IllegalStateException("ring buffer reader is closed");
        RingBuf ring = RingBuf.map(map);
        try {
            Entry[] old = entries;
            Entry[] grown = Arrays.copyOf(old, old.length + 1);
            grown[old.length] = new Entry(ring, handler);
            epoll.add(ring.mapFd(), Epoll.EPOLLIN, old.length);
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

    /** Consumes every available record of every ring without blocking; returns how many, or {@link #CLOSED}. */
    public int poll() {
        reading.lock();
        try {
            if (closed) return CLOSED;
            return consumeAll();
        } finally {
            unlock();
        }
    }

    /** {@link #read(long)} with a Duration. */
    public int read(Duration timeout) {
        return read(timeout.toMillis());
    }

    /**
     * Consumes available records, waiting up to {@code timeoutMillis} (negative: forever) for some
     * if there are none yet. Returns the number of records handed to the handlers (0 when the
     * timeout expired or {@link #wakeup()} was called), or {@link #CLOSED} once closed.
     */
    public int read(long timeoutMillis) {
        reading.lock();
        try {
            if (closed) return CLOSED;
            int n = consumeAll();
            if (n > 0) return n;
            long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                int wait = timeoutMillis < 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, Math.max(0, (deadline - System.nanoTime() + 999_999) / 1_000_000));
                int ready = epoll.await(wait);
                if (closed) return CLOSED;
                boolean woken = false;
                for (int i = 0; i < ready; i++) {
                    if (epoll.data(i) == WAKE_TAG) {
                        wake.drain();
                        woken = true;
                    }
                }
                n = consumeAll();
                // readable but nothing delivered: only discarded records, or a record still busy; wait again
                if (n > 0 || woken || wait == 0 || System.nanoTime() - deadline >= 0) return n;
            }
        } finally {
            unlock();
        }
    }

    private int consumeAll() {
        int n = 0;
        for (Entry e : entries) n += e.ring.consume(e.handler);
        return n;
    }

    /** Makes a blocked (or the next) {@link #read} return early. */
    public void wakeup() {
        synchronized (this) {
            if (!released) wake.signal();
        }
    }

    /**
     * Closes the reader: a read blocked in another thread returns {@link #CLOSED} promptly; this
     * waits for it, then unmaps the rings and closes the epoll set. Maps stay open. When called
     * from a handler, the release happens as the read returns.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        wake.signal();
        if (reading.isHeldByCurrentThread()) {
            releaseOnUnlock = true; // called from a handler: the read in progress releases as it returns
            return;
        }
        reading.lock();
        try {
            release();
        } finally {
            reading.unlock();
        }
    }

    private void unlock() {
        try {
            if (releaseOnUnlock && reading.getHoldCount() == 1) release();
        } finally {
            reading.unlock();
        }
    }

    private void release() {
        synchronized (this) {
            if (released) return;
            released = true;
        }
        for (Entry e : entries) e.ring.close();
        epoll.close();
        wake.close();
    }

    @Override
    public String toString() {
        return "RingBufReader" + rings();
    }
}
