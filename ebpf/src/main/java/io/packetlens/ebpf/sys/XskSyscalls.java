package io.packetlens.ebpf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The socket system calls an AF_XDP socket needs (socket, bind, setsockopt, getsockopt,
 * sendto and recvfrom as wake-ups, poll), called through libc with errno captured. Like
 * {@link Syscalls}, every call returns {@code -errno} on failure and allocates nothing, so
 * the packet loop can call them without exceptions or garbage.
 */
public final class XskSyscalls {
    /** Address family of XDP sockets (AF_XDP in linux/socket.h). */
    public static final int AF_XDP = 44;
    /** AF_XDP sockets are SOCK_RAW. */
    public static final int SOCK_RAW = 3;
    /** Socket option level of the XDP_* options (SOL_XDP in linux/socket.h). */
    public static final int SOL_XDP = 283;
    public static final int MSG_DONTWAIT = 0x40;
    public static final short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8;
    /** sizeof(struct pollfd): int fd; short events; short revents. */
    public static final int POLLFD_SIZE = 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option SAVE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = handle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = handle("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SENDTO = handle("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECVFROM = handle("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle IF_INDEXTONAME = handle("if_indextoname", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG));

    /** Per-thread errno buffers: packet loops on several threads never share one, and calls allocate nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURED = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private XskSyscalls() {}

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        MemorySegment addr = LINKER.defaultLookup().find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(addr, fd, SAVE_ERRNO);
    }

    private static long result(long r, MemorySegment state) {
        return r == -1 ? -(int) ERRNO.get(state, 0L) : r;
    }

    /** socket(domain, type, protocol); the new fd or {@code -errno}. */
    public static int socket(int domain, int type, int protocol) {
        MemorySegment s = CAPTURED.get();
        try {
            return (int) result((int) SOCKET.invokeExact(s, domain, type, protocol), s);
        } catch (Throwable t) {
            throw new IllegalStateException("socket", t);
        }
    }

    /** bind(fd, addr, len); 0 or {@code -errno}. */
    public static int bind(int fd, MemorySegment addr, int len) {
        MemorySegment s = CAPTURED.get();
        try {
            return (int) result((int) BIND.invokeExact(s, fd, addr.address(), len), s);
        } catch (Throwable t) {
            throw new IllegalStateException("bind", t);
        }
    }

    /** setsockopt(fd, level, name, value, len); 0 or {@code -errno}. */
    public static int setsockopt(int fd, int level, int name, MemorySegment value, int len) {
        MemorySegment s = CAPTURED.get();
        try {
            return (int) result((int) SETSOCKOPT.invokeExact(s, fd, level, name, value.address(), len), s);
        } catch (Throwable t) {
            throw new IllegalStateException("setsockopt", t);
        }
    }

    /**
     * getsockopt(fd, level, name, value, lenInOut): {@code lenInOut} holds the buffer size on
     * entry and the size the kernel wrote on return. 0 or {@code -errno}.
     */
    public static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment lenInOut) {
        MemorySegment s = CAPTURED.get();
        try {
            return (int) result((int) GETSOCKOPT.invokeExact(s, fd, level, name, value.address(), lenInOut.address()), s);
        } catch (Throwable t) {
            throw new IllegalStateException("getsockopt", t);
        }
    }

    /**
     * An empty, non-blocking sendto: how user space tells the kernel to process an AF_XDP
     * TX ring. 0 or {@code -errno} (EAGAIN, EBUSY, ENOBUFS mean "try again later").
     */
    public static long kickTx(int fd) {
        MemorySegment s = CAPTURED.get();
        try {
            return result((long) SENDTO.invokeExact(s, fd, 0L, 0L, MSG_DONTWAIT, 0L, 0), s);
        } catch (Throwable t) {
            throw new IllegalStateException("sendto", t);
        }
    }

    /** An empty, non-blocking recvfrom: wakes the driver to refill from an AF_XDP fill ring. 0 or {@code -errno}. */
    public static long kickRx(int fd) {
        MemorySegment s = CAPTURED.get();
        try {
            return result((long) RECVFROM.invokeExact(s, fd, 0L, 0L, MSG_DONTWAIT, 0L, 0L), s);
        } catch (Throwable t) {
            throw new IllegalStateException("recvfrom", t);
        }
    }

    /** poll(fds, nfds, timeoutMillis) over an array of struct pollfd; the number ready, 0 on timeout, or {@code -errno}. */
    public static int poll(MemorySegment pollfds, int nfds, int timeoutMillis) {
        MemorySegment s = CAPTURED.get();
        try {
            return (int) result((int) POLL.invokeExact(s, pollfds.address(), (long) nfds, timeoutMillis), s);
        } catch (Throwable t) {
            throw new IllegalStateException("poll", t);
        }
    }

    /** The name of interface {@code ifindex} in the calling thread's namespace, or null if there is none. */
    public static String indexToName(int ifindex) {
        MemorySegment s = CAPTURED.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16);
            long r = (long) IF_INDEXTONAME.invokeExact(s, ifindex, buf.address());
            return r == 0 ? null : buf.getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("if_indextoname", t);
        }
    }
}
