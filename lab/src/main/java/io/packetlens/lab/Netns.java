package io.packetlens.lab;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Moves the calling thread into a named network namespace with {@code setns(2)} through the FFM API, and runs tasks on
 * throw-away threads that did so.
 */
final class Netns {

    static final Path NETNS_DIR = Path.of("/run/netns");

    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // open(2) is variadic; passing the mode as a variadic int keeps the call correct on every ABI
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS = downcall("setns",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle STRERROR = downcall("strerror",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Netns() {
    }

    @SuppressWarnings("restricted") // the point of this class; callers pass --enable-native-access
    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    static Path path(String namespace) {
        return NETNS_DIR.resolve(namespace);
    }

    static boolean exists(String namespace) {
        // a name with a slash is not a namespace ip could have made, and must not escape /run/netns
        return !namespace.contains("/") && Files.exists(path(namespace));
    }

    /**
     * Runs the task on a new platform thread that first joins the namespace. Only that thread changes namespace (network
     * namespaces are per thread), and it dies afterwards so no pooled thread is ever left behind in a foreign namespace.
     */
    static <T> T call(String namespace, Callable<T> task) throws Exception {
        Path nsPath = path(namespace);
        Object[] outcome = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread thread = Thread.ofPlatform().daemon(true).name("netns-" + namespace).unstarted(() -> {
            try {
                enter(nsPath);
                outcome[0] = task.call();
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            thread.interrupt();
            throw e;
        }
        // join() orders the worker's writes before these reads
        Throwable t = failure[0];
        if (t instanceof Exception e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
        @SuppressWarnings("unchecked")
        T result = (T) outcome[0];
        return result;
    }

    /** Moves the calling thread into the network namespace bound at {@code nsPath}. */
    static void enter(Path nsPath) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(nsPath.toString()), O_RDONLY | O_CLOEXEC, 0);
            if (fd < 0) {
                throw failure("open(" + nsPath + ")", state);
            }
            try {
                int rc = (int) SETNS.invokeExact(state, fd, CLONE_NEWNET);
                if (rc != 0) {
                    throw failure("setns(" + nsPath + ", CLONE_NEWNET)", state);
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(state, fd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @SuppressWarnings("restricted") // strerror returns a NUL-terminated string of unknown length
    private static IOException failure(String call, MemorySegment state) throws Throwable {
        int errno = (int) ERRNO.get(state, 0L);
        MemorySegment message = (MemorySegment) STRERROR.invokeExact(errno);
        return new IOException(call + " failed: " + message.reinterpret(1024).getString(0) + " (errno " + errno + ")");
    }
}
