package io.packetlens.ebpf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Downcall handles to libc wrappers (epoll, eventfd, read/write, scheduling, sysconf) with
 * errno captured per thread, for the small system-call classes of this package. libc's
 * wrappers are used instead of raw syscall numbers so the calls stay architecture-neutral.
 */
final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    static final Linker.Option SAVE_ERRNO = Linker.Option.captureCallState("errno");

    /** One capture buffer per thread: concurrent calls never share one, and calls allocate nothing. */
    private static final ThreadLocal<MemorySegment> STATE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private Libc() {}

    /** A handle whose first parameter is the errno capture segment. */
    static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment addr = LINKER.defaultLookup().find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        Linker.Option[] all = new Linker.Option[options.length + 1];
        System.arraycopy(options, 0, all, 0, options.length);
        all[options.length] = SAVE_ERRNO;
        return LINKER.downcallHandle(addr, fd, all);
    }

    /** The calling thread's capture buffer, passed as the first argument of a handle. */
    static MemorySegment state() {
        return STATE.get();
    }

    /** errno saved by the calling thread's last call. */
    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** {@code -errno} for a failed call (r == -1), else r. */
    static int result(int r, MemorySegment state) {
        return r == -1 ? -errno(state) : r;
    }

    static long result(long r, MemorySegment state) {
        return r == -1 ? -errno(state) : r;
    }

    static IllegalStateException failure(String call, Throwable t) {
        return new IllegalStateException(call, t);
    }
}
