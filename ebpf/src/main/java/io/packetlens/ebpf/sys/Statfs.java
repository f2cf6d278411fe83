package io.packetlens.ebpf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * statfs(2): which file system a path is on, by the magic number the kernel reports in {@code f_type}
 * (linux/magic.h). A type name in /proc/mounts can be faked by any mount source string; the magic cannot.
 */
public final class Statfs {
    /** x86-64 and arm64 syscall numbers of statfs (the latter has no legacy table). */
    private static final long SYS_STATFS = "aarch64".equals(System.getProperty("os.arch")) ? 43 : 137;
    /** sizeof(struct statfs) on 64-bit Linux; f_type is the first word. */
    private static final int STRUCT_SIZE = 120, F_TYPE = 0;

    public static final long BPF_FS_MAGIC = 0xcafe4a11L, TRACEFS_MAGIC = 0x74726163L, DEBUGFS_MAGIC = 0x64626720L,
            CGROUP2_SUPER_MAGIC = 0x63677270L, CGROUP_SUPER_MAGIC = 0x27e0ebL, SYSFS_MAGIC = 0x62656572L;

    private Statfs() {}

    /** The file-system magic of {@code path}, or {@code -errno} (ENOENT if it does not exist). */
    public static long type(String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            MemorySegment buf = a.allocate(STRUCT_SIZE, 8);
            long r = Syscalls.syscall(SYS_STATFS, p.address(), buf.address(), 0, 0, 0);
            return r < 0 ? r : buf.get(JAVA_LONG, F_TYPE) & 0xffffffffL;
        }
    }
}
