package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Shared mappings of kernel objects (ring buffer maps, perf event rings) as memory segments
 * whose lifetime is an {@link Arena}: closing the arena unmaps them, so no access can reach
 * unmapped memory. Also the system page size ({@code sysconf(_SC_PAGESIZE)}).
 */
public final class Mmap {
    public static final int PROT_READ = 0x1, PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    private static final int SC_PAGESIZE = 30;

    private static final MethodHandle SYSCONF = Libc.handle("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    private static volatile long pageSize;

    private Mmap() {}

    /** The system page size in bytes, cached. */
    public static long pageSize() {
        long p = pageSize;
        if (p == 0) {
            try {
                p = (long) SYSCONF.invokeExact(Libc.state(), SC_PAGESIZE);
            } catch (Throwable t) {
                throw Libc.failure("sysconf", t);
            }
            if (p <= 0) p = 4096;
            pageSize = p;
        }
        return p;
    }

    /**
     * Maps {@code length} bytes of {@code fd} at {@code offset} shared with protection {@code prot};
     * the mapping is removed when {@code arena} closes. {@code what} names it in errors.
     */
    public static MemorySegment map(int fd, long offset, long length, int prot, Arena arena, String what) {
        long addr = Syscalls.mmap(0, length, prot, MAP_SHARED, fd, offset);
        if (addr < 0 && addr > -4096) {
            String hint = addr == -Errno.EPERM ? " (only the first page of a ring buffer may be mapped writable)"
                    : addr == -Errno.ENOMEM ? " (out of memory, or over RLIMIT_MEMLOCK / perf_event_mlock_kb)" : "";
            throw BpfException.of("mmap " + what + " (" + length + " bytes at offset " + offset + ")" + hint, (int) -addr);
        }
        return MemorySegment.ofAddress(addr).reinterpret(length, arena, s -> Syscalls.munmap(s.address(), length));
    }
}
