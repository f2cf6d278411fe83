package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Raw Linux system calls through the Foreign Function and Memory API: {@code syscall(2)}
 * for bpf, perf_event_open and setns, and the few libc wrappers (mmap, close, ioctl,
 * if_nametoindex) that are thin shells over one system call. Each call captures errno.
 * Results are returned as {@code -errno} on failure so that hot paths need no exception.
 */
public final class Syscalls {
    public static final long SYS_BPF = 321;
    public static final long SYS_PERF_EVENT_OPEN = 298;
    public static final long SYS_SETNS = 308;
    public static final long SYS_READ = 0, SYS_CLOSE = 3;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option SAVE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle SYSCALL = handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), SAVE_ERRNO);
    /*
     * The other libc functions, each in a holder class so that its downcall handle (tens of milliseconds to make the
     * first time) is made on first use only: a short command that needs bpf(2) and close(2) does not pay for mmap or
     * ioctl.
     */
    private static final class MmapHandles {
        static final MethodHandle MMAP = handle("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), SAVE_ERRNO);
        static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG), SAVE_ERRNO);
    }

    private static final class Ioctl {
        static final MethodHandle IOCTL = handle("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2), SAVE_ERRNO);
    }

    private static final class Open {
        static final MethodHandle OPEN = handle("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), SAVE_ERRNO);
    }

    private static final class IfNameToIndex {
        static final MethodHandle IF_NAMETOINDEX = handle("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS), SAVE_ERRNO);
    }

    /** errno capture buffers are per thread so that concurrent calls never share one and calls allocate nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURED =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private Syscalls() {}

    private static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment addr = LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(addr, fd, options);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** syscall(nr, a1..a5); returns the result or {@code -errno}. */
    public static long syscall(long nr, long a1, long a2, long a3, long a4, long a5) {
        MemorySegment state = CAPTURED.get();
        try {
            long r = (long) SYSCALL.invokeExact(state, nr, a1, a2, a3, a4, a5);
            return r == -1 ? -errno(state) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("syscall " + nr, t);
        }
    }

    /** bpf(cmd, attr, size), retried on EINTR and (for program load) EAGAIN as the kernel asks; returns result or {@code -errno}. */
    public static int bpf(int cmd, MemorySegment attr, long size) {
        long r;
        do {
            r = syscall(SYS_BPF, cmd, attr.address(), size, 0, 0);
        } while (r == -Errno.EINTR || (r == -Errno.EAGAIN && cmd == BpfCmd.PROG_LOAD));
        return (int) r;
    }

    /** mmap; returns the address or {@code -errno}. */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        MemorySegment state = CAPTURED.get();
        try {
            long r = (long) MmapHandles.MMAP.invokeExact(state, addr, length, prot, flags, fd, offset);
            return r == -1 ? -errno(state) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("mmap", t);
        }
    }

    public static int munmap(long addr, long length) {
        MemorySegment state = CAPTURED.get();
        try {
            int r = (int) MmapHandles.MUNMAP.invokeExact(state, addr, length);
            return r == -1 ? -errno(state) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap", t);
        }
    }

    /** close(2), through the syscall handle every BPF user makes anyway (one downcall handle fewer to create). */
    public static int close(int fd) {
        return (int) syscall(SYS_CLOSE, fd, 0, 0, 0, 0);
    }

    public static int ioctl(int fd, long request, long arg) {
        MemorySegment state = CAPTURED.get();
        try {
            int r = (int) Ioctl.IOCTL.invokeExact(state, fd, request, arg);
            return r == -1 ? -errno(state) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl", t);
        }
    }

    /** open(path, flags, mode); returns fd or {@code -errno}. */
    public static int open(String path, int flags, int mode) {
        MemorySegment state = CAPTURED.get();
        try (Arena arena = Arena.ofConfined()) {
            int r = (int) Open.OPEN.invokeExact(state, arena.allocateFrom(path), flags, mode);
            return r == -1 ? -errno(state) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("open", t);
        }
    }

    /** read(2) of up to {@code length} bytes into {@code buf}; returns the count (0 at end of file) or {@code -errno}. */
    public static long read(int fd, MemorySegment buf, long length) {
        if (length > buf.byteSize()) throw new IllegalArgumentException("read of " + length + " bytes into " + buf.byteSize());
        long r;
        do {
            r = syscall(SYS_READ, fd, buf.address(), length, 0, 0);
        } while (r == -Errno.EINTR);
        return r;
    }

    /** Interface index of {@code name} in the calling thread's network namespace, or 0 if there is none. */
    public static int ifNameToIndex(String name) {
        MemorySegment state = CAPTURED.get();
        try (Arena arena = Arena.ofConfined()) {
            return (int) IfNameToIndex.IF_NAMETOINDEX.invokeExact(state, arena.allocateFrom(name));
        } catch (Throwable t) {
            throw new IllegalStateException("if_nametoindex", t);
        }
    }
}
