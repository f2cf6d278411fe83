package io.packetlens.ebpf;

import io.packetlens.ebpf.sys.Epoll;
import io.packetlens.ebpf.sys.EventFd;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The waiting and closing machinery shared by readers of kernel rings (BPF ring buffers, perf
 * buffers): an epoll set holding the ring fds plus an eventfd, a blocking {@link #read} with a
 * timeout, a non-blocking {@link #poll}, both optionally limited to a number of records (for a
 * consumer that must stop at an exact count, or bound the work of one call), and a
 * {@link #close} that wakes a blocked read through the eventfd, waits for it to return, and
 * only then frees the rings, so no read ever touches unmapped memory. One thread reads at a time; wakeup and close may come from any thread.
 */
public abstract class EpollReader implements AutoCloseable {
    /** Returned by {@link #read} and {@link #poll} once the reader is closed. */
    public static final int CLOSED = -1;
    private static final long WAKE_TAG = -1;

    private final Epoll epoll;
    private final EventFd wake;
    private final ReentrantLock reading = new ReentrantLock();
    private volatile boolean closed;
    private boolean released;
    private boolean releaseOnUnlock;

    protected EpollReader(int capacity) {
        epoll = new Epoll(capacity);
        try {
            wake = new EventFd();
            epoll.add(wake.fd(), Epoll.EPOLLIN, WAKE_TAG);
        } catch (RuntimeException e) {
            epoll.close();
            throw e;
        }
    }

    /** How many rings this reader has now (rings may be added, never removed while reading). */
    protected abstract int ringCount();

    /** Consumes up to {@code maxRecords} records from ring {@code index} without blocking; returns how many. */
    protected abstract int consumeRing(int index, int maxRecords);

    /** The ring the next limited {@link #consume} starts with (only the reading thread touches it). */
    private int next;

    /**
     * Consumes what the rings hold now, without blocking, up to {@code maxRecords} records
     * (positive; {@code Integer.MAX_VALUE}: all); returns the records delivered. When the limit
     * stops it early, the next call starts at the ring after the one it stopped in, so none is
     * starved.
     */
    private int consume(int maxRecords) {
        int count = ringCount();
        int first = next < count ? next : 0;
        int n = 0;
        for (int i = 0; i < count && n < maxRecords; i++) {
            int at = first + i < count ? first + i : first + i - count;
            n += consumeRing(at, maxRecords - n);
            if (n == maxRecords) next = at + 1 < count ? at + 1 : 0;
        }
        return n;
    }

    /** Frees the rings (called once, with no read running). */
    protected abstract void releaseRings();

    /** Bytes the kernel has written and the reader has not consumed yet, over all rings. */
    public abstract long backlogBytes();

    /** Adds a ring's fd to the epoll set (readable when the ring has something to read). */
    protected final void watch(int fd, long tag) {
        epoll.add(fd, Epoll.EPOLLIN, tag);
    }

    public final boolean isClosed() {
        return closed;
    }

    /** Consumes every available record without blocking; returns how many, or {@link #CLOSED}. */
    public final int poll() {
        return poll(Integer.MAX_VALUE);
    }

    /** Consumes up to {@code maxRecords} available records without blocking; returns how many, or {@link #CLOSED}. */
    public final int poll(int maxRecords) {
        checkLimit(maxRecords);
        reading.lock();
        try {
            if (closed) return CLOSED;
            return consume(maxRecords);
        } finally {
            unlock();
        }
    }

    /** {@link #read(long)} with a Duration. */
    public final int read(Duration timeout) {
        return read(timeout.toMillis());
    }

    /**
     * Consumes available records, first waiting up to {@code timeoutMillis} (negative: forever)
     * if there are none. Returns the number of records delivered (0 when the timeout expired or
     * {@link #wakeup()} was called), or {@link #CLOSED} once the reader is closed.
     */
    public final int read(long timeoutMillis) {
        return read(timeoutMillis, Integer.MAX_VALUE);
    }

    /**
     * {@link #read(long)} delivering at most {@code maxRecords} records; the rest stay in the
     * rings for the next call.
     */
    public final int read(long timeoutMillis, int maxRecords) {
        checkLimit(maxRecords);
        reading.lock();
        try {
            if (closed) return CLOSED;
            int n = consume(maxRecords);
            if (n > 0) return n;
            long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                int wait = timeoutMillis < 0 ? -1
                        : (int) Math.min(Integer.MAX_VALUE, Math.max(0, (deadline - System.nanoTime() + 999_999) / 1_000_000));
                int ready = epoll.await(wait);
                if (closed) return CLOSED;
                boolean woken = false;
                for (int i = 0; i < ready; i++) {
                    if (epoll.data(i) == WAKE_TAG) {
                        wake.drain();
                        woken = true;
                    }
                }
                n = consume(maxRecords);
                // readable yet nothing delivered (only discarded records, a record still being
                // written, bookkeeping records): wait again until the deadline
                if (n > 0 || woken || wait == 0 || System.nanoTime() - deadline >= 0) return n;
            }
        } finally {
            unlock();
        }
    }

    /** Makes a blocked (or the next) {@link #read} return early. */
    public final void wakeup() {
        synchronized (this) {
            if (!released) wake.signal();
        }
    }

    /**
     * Closes the reader: a read blocked in another thread returns {@link #CLOSED} promptly; this
     * waits for it, then frees the rings and the epoll set. When called from inside a handler,
     * the release happens as that read returns. Closing twice is harmless.
     */
    @Override
    public final void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            wake.signal();
        }
        if (reading.isHeldByCurrentThread()) {
            releaseOnUnlock = true;
            return;
        }
        reading.lock();
        try {
            release();
        } finally {
            reading.unlock();
        }
    }

    private static void checkLimit(int maxRecords) {
        if (maxRecords <= 0) throw new IllegalArgumentException("maxRecords must be positive, not " + maxRecords);
    }

    /** Callers that register rings synchronize on this reader and check this first. */
    protected final void ensureOpen() {
        if (closed) throw new IllegalStateException(getClass().getSimpleName() + " is closed");
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
        try {
            releaseRings();
        } finally {
            epoll.close();
            wake.close();
        }
    }
}
