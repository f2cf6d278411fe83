package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.XskSyscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** setsockopt/getsockopt at level SOL_XDP on an AF_XDP socket fd: set-up calls, allocating freely. */
final class XskOptions {
    private XskOptions() {}

    static int newSocket() {
        int fd = XskSyscalls.socket(XskSyscalls.AF_XDP, XskSyscalls.SOCK_RAW, 0);
        if (fd < 0) {
            String hint = switch (-fd) {
                case Errno.EPERM, Errno.EACCES -> " (AF_XDP sockets need CAP_NET_RAW; run as root)";
                case 97 /* EAFNOSUPPORT */ -> " (this kernel was built without CONFIG_XDP_SOCKETS)";
                default -> "";
            };
            throw BpfException.of("socket(AF_XDP)" + hint, -fd);
        }
        return fd;
    }

    static void setInt(int fd, int option, int value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            int r = XskSyscalls.setsockopt(fd, XskSyscalls.SOL_XDP, option, v, 4);
            if (r < 0) throw BpfException.of("setsockopt " + what + " = " + value, -r);
        }
    }

    static void set(int fd, int option, MemorySegment value, String what) {
        int r = XskSyscalls.setsockopt(fd, XskSyscalls.SOL_XDP, option, value, (int) value.byteSize());
        if (r < 0) throw BpfException.of("setsockopt " + what, -r);
    }

    /** getsockopt into {@code out}; returns the length the kernel wrote. */
    static int get(int fd, int option, MemorySegment out, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) out.byteSize());
            int r = XskSyscalls.getsockopt(fd, XskSyscalls.SOL_XDP, option, out, len);
            if (r < 0) throw BpfException.of("getsockopt " + what, -r);
            return len.get(JAVA_INT, 0);
        }
    }

    /** XDP_MMAP_OFFSETS into a segment of {@code arena}. */
    static MemorySegment mmapOffsets(int fd, Arena arena) {
        MemorySegment off = arena.allocate(IfXdp.MmapOffsets.SIZE, 8);
        int n = get(fd, IfXdp.XDP_MMAP_OFFSETS, off, "XDP_MMAP_OFFSETS");
        if (n != IfXdp.MmapOffsets.SIZE) {
            throw new BpfException("XDP_MMAP_OFFSETS returned " + n + " bytes; kernels before 5.4 lack the ring flags this library needs");
        }
        return off;
    }
}
