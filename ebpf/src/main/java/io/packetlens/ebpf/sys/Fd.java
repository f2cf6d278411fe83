package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.BpfException;

/**
 * An owned file descriptor: closing it closes the kernel object reference (a map, program,
 * link or BTF object is freed, and a link detached, when its last fd closes).
 * Closing twice is harmless.
 */
public final class Fd implements AutoCloseable {
    private volatile int fd;

    public Fd(int fd) {
        if (fd < 0) throw new IllegalArgumentException("negative fd " + fd);
        this.fd = fd;
    }

    /** The raw descriptor number; throws if closed. */
    public int get() {
        int f = fd;
        if (f < 0) throw new BpfException("file descriptor already closed");
        return f;
    }

    public boolean isOpen() {
        return fd >= 0;
    }

    /**
     * What the descriptor refers to, from its /proc/self/fd link: {@code bpf-map}, {@code bpf-prog},
     * {@code bpf-link} ... for BPF objects (anon inodes), else the link target itself.
     */
    public String kind() {
        try {
            String target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + get())).toString();
            return target.startsWith("anon_inode:") ? target.substring("anon_inode:".length()) : target;
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    @Override
    public void close() {
        int f;
        synchronized (this) {
            f = fd;
            fd = -1;
        }
        if (f >= 0) Syscalls.close(f);
    }

    @Override
    public String toString() {
        return "fd " + fd;
    }
}
