package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds file systems in /proc/self/mounts and mounts new ones with mount(2) (tracefs,
 * cgroup2), for hooks whose kernel interface is a file system the machine may not have
 * mounted.
 */
public final class Mounts {
    public static final long SYS_MOUNT = 165;

    private Mounts() {}

    /** The first mount point of a file system of {@code type} (e.g. "cgroup2", "tracefs"), if any. */
    public static Optional<Path> find(String type) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals(type)) return Optional.of(Path.of(unescape(f[1])));
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Every mount point of a file system of {@code type}, in /proc/self/mounts order. */
    public static java.util.List<Path> findAll(String type) {
        java.util.List<Path> out = new java.util.ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals(type)) out.add(Path.of(unescape(f[1])));
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** Whether {@code dir} is itself the mount point of a file system of {@code type}. */
    public static boolean isMountPoint(Path dir, String type) {
        String target = dir.toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals(type) && unescape(f[1]).equals(target)) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** /proc/self/mounts escapes space, tab, newline and backslash as octal. */
    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    /** mount(source, target, type, 0, NULL); throws with the errno and what to do. */
    public static void mount(String source, Path target, String type) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocateFrom(source);
            MemorySegment dst = a.allocateFrom(target.toString());
            MemorySegment fs = a.allocateFrom(type);
            long r = Syscalls.syscall(SYS_MOUNT, src.address(), dst.address(), fs.address(), 0, 0);
            if (r < 0) {
                throw BpfException.of("mount -t " + type + " " + source + " " + target
                        + (r == -Errno.EPERM ? " (needs root / CAP_SYS_ADMIN)" : ""), (int) -r);
            }
        }
    }
}
