package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A non-blocking eventfd(2) counter: another thread {@link #signal}s it to wake whoever
 * waits on it in an epoll set (how a reader's close interrupts a blocked read).
 */
public final class EventFd implements AutoCloseable {
    private static final int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    private static final MethodHandle EVENTFD = Libc.handle("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle WRITE = Libc.handle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle READ = Libc.handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));

    private final Fd fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one;
    private final MemorySegment sink;

    public EventFd() {
        MemorySegment st = Libc.state();
        int r;
        try {
            r = Libc.result((int) EVENTFD.invokeExact(st, 0, EFD_CLOEXEC | EFD_NONBLOCK), st);
        } catch (Throwable t) {
            throw Libc.failure("eventfd", t);
        }
        if (r < 0) {
            arena.close();
            throw BpfException.of("eventfd", -r);
        }
        fd = new Fd(r);
        one = arena.allocate(JAVA_LONG);
        one.set(JAVA_LONG, 0, 1L);
        sink = arena.allocate(JAVA_LONG);
    }

    public int fd() {
        return fd.get();
    }

    /** Adds one to the counter, making the fd readable. */
    public void signal() {
        MemorySegment st = Libc.state();
        try {
            long r = Libc.result((long) WRITE.invokeExact(st, fd.get(), one, 8L), st);
            if (r < 0 && r != -Errno.EAGAIN) throw BpfException.of("eventfd write", (int) -r);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.failure("write", t);
        }
    }

    /** Resets the counter to zero (not readable any more); returns the count it held. */
    public long drain() {
        MemorySegment st = Libc.state();
        try {
            long r = Libc.result((long) READ.invokeExact(st, fd.get(), sink, 8L), st);
            return r == 8 ? sink.get(JAVA_LONG, 0) : 0;
        } catch (Throwable t) {
            throw Libc.failure("read", t);
        }
    }

    @Override
    public void close() {
        fd.close();
        arena.close();
    }
}
