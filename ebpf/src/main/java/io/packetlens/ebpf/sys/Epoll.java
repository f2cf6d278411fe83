package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * An epoll(7) instance ({@code epoll_create1}, {@code epoll_ctl}, {@code epoll_wait}) with a
 * reusable buffer of {@code struct epoll_event}, so waiting allocates nothing. Descriptors are
 * registered level-triggered with a caller-chosen 64-bit tag that {@link #data(int)} returns
 * for each ready one. Registration may happen from any thread; {@link #await} from one thread at a time.
 */
public final class Epoll implements AutoCloseable {
    public static final int EPOLLIN = 0x001, EPOLLERR = 0x008, EPOLLHUP = 0x010;
    private static final int EPOLL_CLOEXEC = 0x80000;
    private static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;

    /** {@code struct epoll_event} is packed on x86-64 (12 bytes), naturally aligned elsewhere (16). */
    private static final boolean PACKED = "amd64".equals(System.getProperty("os.arch")) || "x86_64".equals(System.getProperty("os.arch"));
    static final int EVENT_SIZE = PACKED ? 12 : 16;
    private static final int EVENTS = 0, DATA = PACKED ? 4 : 8;

    private static final MethodHandle CREATE1 = Libc.handle("epoll_create1", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle CTL = Libc.handle("epoll_ctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle WAIT = Libc.handle("epoll_wait", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    private final Fd fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events;
    private final int capacity;

    /** Creates an epoll instance that reports up to {@code capacity} ready descriptors per wait. */
    public Epoll(int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("capacity must be positive");
        this.capacity = capacity;
        MemorySegment st = Libc.state();
        int r;
        try {
            r = Libc.result((int) CREATE1.invokeExact(st, EPOLL_CLOEXEC), st);
        } catch (Throwable t) {
            throw Libc.failure("epoll_create1", t);
        }
        if (r < 0) {
            arena.close();
            throw BpfException.of("epoll_create1", -r);
        }
        fd = new Fd(r);
        events = arena.allocate((long) EVENT_SIZE * capacity, 8);
    }

    public int fd() {
        return fd.get();
    }

    /** Watches {@code target} for {@code mask} (e.g. {@link #EPOLLIN}); {@code data} identifies it in results. */
    public void add(int target, int mask, long data) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(EVENT_SIZE, 8);
            ev.set(JAVA_INT_UNALIGNED, EVENTS, mask);
            ev.set(JAVA_LONG_UNALIGNED, DATA, data);
            ctl(EPOLL_CTL_ADD, target, ev, "add fd " + target);
        }
    }

    /** Stops watching {@code target}. */
    public void remove(int target) {
        ctl(EPOLL_CTL_DEL, target, MemorySegment.NULL, "remove fd " + target);
    }

    private void ctl(int op, int target, MemorySegment ev, String what) {
        MemorySegment st = Libc.state();
        int r;
        try {
            r = Libc.result((int) CTL.invokeExact(st, fd.get(), op, target, ev), st);
        } catch (Throwable t) {
            throw Libc.failure("epoll_ctl", t);
        }
        if (r < 0) throw BpfException.of("epoll_ctl " + what, -r);
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: forever, 0: not at all) for ready descriptors;
     * returns how many are ready (0 on timeout or when interrupted by a signal).
     */
    public int await(int timeoutMillis) {
        MemorySegment st = Libc.state();
        int r;
        try {
            r = Libc.result((int) WAIT.invokeExact(st, fd.get(), events, capacity, timeoutMillis), st);
        } catch (Throwable t) {
            throw Libc.failure("epoll_wait", t);
        }
        if (r == -Errno.EINTR) return 0;
        if (r < 0) throw BpfException.of("epoll_wait", -r);
        return r;
    }

    /** The tag of the i-th ready descriptor of the last {@link #await}. */
    public long data(int i) {
        return events.get(JAVA_LONG_UNALIGNED, (long) i * EVENT_SIZE + DATA);
    }

    /** The ready events (EPOLLIN, EPOLLERR, ...) of the i-th ready descriptor of the last {@link #await}. */
    public int events(int i) {
        return events.get(JAVA_INT_UNALIGNED, (long) i * EVENT_SIZE + EVENTS);
    }

    @Override
    public void close() {
        fd.close();
        arena.close();
    }
}
