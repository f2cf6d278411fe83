package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The BSD socket calls of libc (socket, bind, connect, listen, accept4, setsockopt,
 * getsockopt, sendto, recvfrom, shutdown, getsockname) through the Foreign Function and
 * Memory API, for sockets the JDK cannot make or cannot hand out as an fd: netlink,
 * AF_PACKET, and TCP/UDP sockets that a BPF program is attached to or that go into a
 * sockmap. Like {@link Syscalls}, every call returns its result or {@code -errno}.
 */
public final class Sockets {
    public static final int AF_UNSPEC = 0, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;
    public static final int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1, SOL_NETLINK = 270, IPPROTO_TCP = 6, IPPROTO_UDP = 17;
    public static final int SO_REUSEADDR = 2, SO_TYPE = 3, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_RCVTIMEO = 20,
            SO_SNDTIMEO = 21, SO_DETACH_FILTER = 27, SO_DETACH_BPF = 27, SO_PROTOCOL = 38, SO_DOMAIN = 39,
            SO_ATTACH_BPF = 50, SO_COOKIE = 57;
    public static final int MSG_PEEK = 0x2, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    public static final int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option SAVE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = handle("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = handle("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = handle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = handle("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDTO = handle("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVFROM = handle("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SHUTDOWN = handle("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = handle("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    private static final ThreadLocal<MemorySegment> CAPTURED =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private Sockets() {}

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        MemorySegment addr = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(addr, fd, SAVE_ERRNO);
    }

    private static int result(int r, MemorySegment state) {
        return r == -1 ? -(int) ERRNO.get(state, 0L) : r;
    }

    private static long result(long r, MemorySegment state) {
        return r == -1 ? -(int) ERRNO.get(state, 0L) : r;
    }

    private static IllegalStateException failed(String call, Throwable t) {
        return new IllegalStateException(call, t);
    }

    /** socket(domain, type, protocol); returns the fd or {@code -errno}. */
    public static int socket(int domain, int type, int protocol) {
        MemorySegment state = CAPTURED.get();
        try {
            return result((int) SOCKET.invokeExact(state, domain, type, protocol), state);
        } catch (Throwable t) {
            throw failed("socket", t);
        }
    }

    public static int bind(int fd, MemorySegment addr) {
        MemorySegment state = CAPTURED.get();
        try {
            return result((int) BIND.invokeExact(state, fd, addr, (int) addr.byteSize()), state);
        } catch (Throwable t) {
            throw failed("bind", t);
        }
    }

    public static int connect(int fd, MemorySegment addr) {
        MemorySegment state = CAPTURED.get();
        try {
            return result((int) CONNECT.invokeExact(state, fd, addr, (int) addr.byteSize()), state);
        } catch (Throwable t) {
            throw failed("connect", t);
        }
    }

    public static int listen(int fd, int backlog) {
        MemorySegment state = CAPTURED.get();
        try {
            return result((int) LISTEN.invokeExact(state, fd, backlog), state);
        } catch (Throwable t) {
            throw failed("listen", t);
        }
    }

    /** accept4(fd, NULL, NULL, flags); returns the new fd or {@code -errno}. */
    public static int accept(int fd, int flags) {
        MemorySegment state = CAPTURED.get();
        try {
            return result((int) ACCEPT4.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, flags), state);
        } catch (Throwable t) {
            throw failed("accept4", t);
        }
    }

    public static int setsockopt(int fd, int level, int name, MemorySegment value) {
        MemorySegment state = CAPTURED.get();
        try {
            return result((int) SETSOCKOPT.invokeExact(state, fd, level, name, value, (int) value.byteSize()), state);
        } catch (Throwable t) {
            throw failed("setsockopt", t);
        }
    }

    /** setsockopt with an int value. */
    public static int setsockopt(int fd, int level, int name, int value) {
        try (Arena arena = Arena.ofConfined()) {
            return setsockopt(fd, level, name, arena.allocateFrom(JAVA_INT, value));
        }
    }

    /** getsockopt into {@code value}; returns the length written or {@code -errno}. */
    public static int getsockopt(int fd, int level, int name, MemorySegment value) {
        MemorySegment state = CAPTURED.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment len = arena.allocateFrom(JAVA_INT, (int) value.byteSize());
            int r = result((int) GETSOCKOPT.invokeExact(state, fd, level, name, value, len), state);
            return r < 0 ? r : len.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw failed("getsockopt", t);
        }
    }

    /** getsockopt of an int option; returns the value, or throws with the errno in the message. */
    public static int getsockoptInt(int fd, int level, int name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            int r = getsockopt(fd, level, name, v);
            if (r < 0) throw new IllegalStateException("getsockopt(" + level + ", " + name + "): " + Errno.describe(-r));
            return v.get(JAVA_INT, 0);
        }
    }

    /** sendto; {@code addr} may be {@link MemorySegment#NULL} for a connected socket. Returns bytes sent or {@code -errno}. */
    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr) {
        MemorySegment state = CAPTURED.get();
        try {
            int addrLen = addr.equals(MemorySegment.NULL) ? 0 : (int) addr.byteSize();
            return result((long) SENDTO.invokeExact(state, fd, buf, len, flags, addr, addrLen), state);
        } catch (Throwable t) {
            throw failed("sendto", t);
        }
    }

    /** recvfrom without the source address; returns bytes received (the full length with MSG_TRUNC) or {@code -errno}. */
    public static long recv(int fd, MemorySegment buf, long len, int flags) {
        MemorySegment state = CAPTURED.get();
        try {
            return result((long) RECVFROM.invokeExact(state, fd, buf, len, flags, MemorySegment.NULL, MemorySegment.NULL), state);
        } catch (Throwable t) {
            throw failed("recvfrom", t);
        }
    }

    public static int shutdown(int fd, int how) {
        MemorySegment state = CAPTURED.get();
        try {
            return result((int) SHUTDOWN.invokeExact(state, fd, how), state);
        } catch (Throwable t) {
            throw failed("shutdown", t);
        }
    }

    /** getsockname into {@code addr}; returns the address length or {@code -errno}. */
    public static int getsockname(int fd, MemorySegment addr) {
        MemorySegment state = CAPTURED.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment len = arena.allocateFrom(JAVA_INT, (int) addr.byteSize());
            int r = result((int) GETSOCKNAME.invokeExact(state, fd, addr, len), state);
            return r < 0 ? r : len.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw failed("getsockname", t);
        }
    }

    /** Sets SO_RCVTIMEO (struct timeval: seconds and microseconds as two longs on 64-bit Linux). */
    public static int setReceiveTimeout(int fd, long millis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tv = arena.allocate(16, 8);
            tv.set(JAVA_LONG, 0, millis / 1000);
            tv.set(JAVA_LONG, 8, (millis % 1000) * 1000);
            return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv);
        }
    }
}
