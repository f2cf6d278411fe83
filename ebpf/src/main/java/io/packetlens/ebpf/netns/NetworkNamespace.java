package io.packetlens.ebpf.netns;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.Syscalls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * A network namespace to attach programs in: one named by {@code ip netns add} (bound under
 * {@code /run/netns}) or any namespace file such as {@code /proc/PID/ns/net} (a container's).
 * Interface names, ifindexes and netlink requests belong to a namespace, so an XDP or TC attachment
 * on another namespace's interface is made from a thread that joined it with {@code setns(2)}.
 */
public final class NetworkNamespace {
    private static final Path NAMED = Path.of("/run/netns");
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0, O_CLOEXEC = 0x80000;

    private final Path path;
    private final String name;

    private NetworkNamespace(Path path, String name) {
        this.path = path;
        this.name = name;
    }

    /**
     * A namespace by its {@code ip netns} name, or by the path of a namespace file (absolute).
     *
     * @throws BpfException if there is no such namespace
     */
    public static NetworkNamespace of(String nameOrPath) {
        Path p = nameOrPath.startsWith("/") ? Path.of(nameOrPath) : NAMED.resolve(nameOrPath);
        if (!nameOrPath.startsWith("/") && nameOrPath.contains("/")) {
            throw new BpfException("'" + nameOrPath + "' is not a network namespace name (names have no '/'; give a path such as /proc/PID/ns/net)");
        }
        if (!Files.exists(p)) {
            throw new BpfException("no network namespace '" + nameOrPath + "' (" + p + " does not exist; `ip netns list` shows the named ones)");
        }
        return new NetworkNamespace(p, nameOrPath);
    }

    public String name() {
        return name;
    }

    /**
     * Runs {@code task} on a new platform thread that first joins this namespace, and returns its result; its
     * exceptions propagate unwrapped. Only that thread changes namespace (network namespaces are per thread) and it
     * ends afterwards, so no pooled thread is ever left in a foreign namespace. Sockets and BPF links made inside keep
     * their namespace afterwards, on any thread.
     */
    public <T> T call(Callable<T> task) throws Exception {
        Object[] outcome = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread thread = Thread.ofPlatform().daemon(true).name("netns-" + name).unstarted(() -> {
            try {
                enter();
                outcome[0] = task.call();
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        thread.start();
        thread.join();
        Throwable t = failure[0]; // join() orders the worker's writes before these reads
        if (t instanceof Exception e) throw e;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
        @SuppressWarnings("unchecked")
        T result = (T) outcome[0];
        return result;
    }

    private void enter() {
        int fd = Syscalls.open(path.toString(), O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) throw BpfException.of("open network namespace " + path, -fd);
        try {
            long r = Syscalls.syscall(Syscalls.SYS_SETNS, fd, CLONE_NEWNET, 0, 0, 0);
            if (r < 0) {
                throw BpfException.of("join network namespace " + name + " (setns" + (-r == Errno.EPERM ? ": needs CAP_SYS_ADMIN" : "") + ")", (int) -r);
            }
        } finally {
            Syscalls.close(fd);
        }
    }

    @Override
    public String toString() {
        return "netns " + name;
    }
}
