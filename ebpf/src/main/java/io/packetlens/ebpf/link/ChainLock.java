package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Syscalls;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The lock every change of an {@link XdpChain} holds: flock(2) on the chains' root directory (bpffs directories take
 * flocks), so processes take turns, and under it a reentrant lock per root for this JVM's threads. flock belongs to
 * an open file description, so a second flock from the same process through another fd would wait for the first
 * forever; the reentrant lock makes nested use (open and install in one step) take the flock once.
 */
final class ChainLock {
    private static final long SYS_FLOCK = 73;
    private static final int LOCK_EX = 2, LOCK_UN = 8;
    private static final int O_RDONLY = 0, O_DIRECTORY = 0200000, O_CLOEXEC = 02000000;
    private static final Map<Path, Held> HELD = new ConcurrentHashMap<>();

    private static final class Held {
        final ReentrantLock lock = new ReentrantLock();
        int fd = -1;
    }

    private ChainLock() {}

    static <T> T with(Path root, Supplier<T> body) {
        Held h = HELD.computeIfAbsent(root.toAbsolutePath().normalize(), r -> new Held());
        h.lock.lock();
        try {
            boolean outer = h.lock.getHoldCount() == 1;
            if (outer) h.fd = flock(root);
            try {
                return body.get();
            } finally {
                if (outer) {
                    Syscalls.syscall(SYS_FLOCK, h.fd, LOCK_UN, 0, 0, 0);
                    Syscalls.close(h.fd);
                    h.fd = -1;
                }
            }
        } finally {
            h.lock.unlock();
        }
    }

    static void run(Path root, Runnable body) {
        with(root, () -> {
            body.run();
            return null;
        });
    }

    private static int flock(Path root) {
        int fd = Syscalls.open(root.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) throw BpfException.of("open " + root + " to lock the XDP chains there", -fd);
        long r;
        do {
            r = Syscalls.syscall(SYS_FLOCK, fd, LOCK_EX, 0, 0, 0);
        } while (r == -4); // EINTR
        if (r < 0) {
            Syscalls.close(fd);
            throw BpfException.of("flock " + root, (int) -r);
        }
        return fd;
    }
}
