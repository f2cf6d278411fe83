package io.packetlens.ebpf.tracing;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.Epoll;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A reader of a tracefs {@code trace_pipe}, where bpf_printk (bpf_trace_printk) output appears, line by line.
 * Reading a trace_pipe consumes it, so two readers of the same pipe each see only part of the lines. Hence
 * {@link #openInstance}: a private tracing instance ({@code instances/NAME}, its own ring buffer) with the
 * {@code bpf_trace/bpf_trace_printk} event enabled gets its own copy of every bpf_printk line, whoever else reads the
 * top-level pipe; closing the reader removes the instance. An instance can also carry an event filter
 * ({@link #openInstance(String, String)}), so that its buffer holds only the lines its reader wants. {@link #open()}
 * reads the top-level pipe itself, as {@code bpftool prog tracelog} does.
 *
 * <p>Where the kernel's trace buffer overran before a line was read, the pipe says so with a
 * {@code CPU:N [LOST M EVENTS]} line: those are counted in {@link #lostEvents()}.
 *
 * <p>The pipe is opened non-blocking and waited on with epoll, so {@link #read} returns after its timeout and
 * {@link #close} never hangs behind a blocked read. One thread reads at a time.
 */
public final class TracePipe implements AutoCloseable {
    private static final int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private static final int BUFFER = 64 * 1024;
    /** Longest line kept whole; a longer one (the kernel caps a printk at a few hundred bytes) is cut. */
    private static final int MAX_LINE = 8192;
    private static final java.util.regex.Pattern LOST = java.util.regex.Pattern.compile("^CPU:\\d+ \\[LOST (\\d+) EVENTS\\]$");
    /** The bpf_printk event in a tracing instance's event directory. */
    static final String PRINTK_EVENT = "events/bpf_trace/bpf_trace_printk";

    private final Path pipe;
    private final Path instance;
    private final boolean filtered;
    private final Fd fd;
    private final Epoll epoll;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final StringBuilder partial = new StringBuilder();
    private long lines;
    private long unparsed;
    private volatile long lostEvents; // read by other threads (KernelDebugLog.lost)

    private TracePipe(Path pipe, Path instance, boolean filtered) {
        int r = Syscalls.open(pipe.toString(), O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
        if (r < 0) {
            arena.close();
            throw BpfException.of("open " + pipe + (r == -Errno.EACCES || r == -Errno.EPERM ? " (needs root)" : ""), -r);
        }
        this.pipe = pipe;
        this.instance = instance;
        this.filtered = filtered;
        this.fd = new Fd(r);
        Epoll e = null;
        try {
            e = new Epoll(1);
            e.add(fd.get(), Epoll.EPOLLIN, 0);
        } catch (RuntimeException ex) {
            if (e != null) e.close();
            fd.close();
            arena.close();
            throw ex;
        }
        this.epoll = e;
        this.buf = arena.allocate(BUFFER);
    }

    /** The top-level trace_pipe (mounting tracefs if needed). Other readers of it compete for its lines. */
    public static TracePipe open() {
        return new TracePipe(Tracefs.root().resolve("trace_pipe"), null, false);
    }

    /**
     * A private tracing instance {@code instances/NAME} that receives every bpf_printk line (the
     * bpf_trace/bpf_trace_printk event enabled in it), read through its own trace_pipe; {@link #close()} removes it.
     * An existing instance of that name is refused rather than shared.
     */
    public static TracePipe openInstance(String name) {
        return openInstance(name, null);
    }

    /**
     * {@link #openInstance(String)} with an event filter on its bpf_printk event, in the kernel's filter language over
     * the event's one field, e.g. {@code bpf_string ~ "pl:1f2e3d4c:*"} (a glob): the kernel then puts only matching
     * lines in this instance's buffer. If the kernel refuses the filter, the instance takes every line and
     * {@link #filtered()} says so (the caller filters them itself).
     */
    public static TracePipe openInstance(String name, String filter) {
        if (name.isEmpty() || name.contains("/") || name.contains("..")) throw new IllegalArgumentException("bad tracefs instance name '" + name + "'");
        Path instances = Tracefs.root().resolve("instances");
        Path dir = instances.resolve(name);
        try {
            Files.createDirectory(dir); // tracefs creates the instance's files on mkdir
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new BpfException("tracefs instance " + dir + " already exists (another reader's? remove it with rmdir if stale)");
        } catch (IOException e) {
            throw new BpfException("cannot create tracefs instance " + dir + ": " + e + " (needs root)", e);
        }
        try {
            Path event = dir.resolve(PRINTK_EVENT);
            Path enable = event.resolve("enable");
            if (!Files.exists(enable)) {
                throw new BpfException.NotFoundException("this kernel has no bpf_trace:bpf_trace_printk event (" + enable
                        + "); read the top-level trace_pipe with TracePipe.open() instead");
            }
            boolean filtered = false;
            if (filter != null) {
                try {
                    Files.writeString(event.resolve("filter"), filter);
                    filtered = true;
                } catch (IOException e) {
                    // a kernel without glob matching on strings (or without filters) takes the whole event
                    System.getLogger("packetlens.ebpf").log(System.Logger.Level.DEBUG,
                            "tracefs refused the filter '" + filter + "' in " + dir + ": " + e.getMessage());
                }
            }
            Files.writeString(enable, "1");
            return new TracePipe(dir.resolve("trace_pipe"), dir, filtered);
        } catch (IOException | RuntimeException e) {
            removeInstance(dir);
            if (e instanceof RuntimeException re) throw re;
            throw new BpfException("cannot enable bpf_trace_printk in " + dir + ": " + e, e);
        }
    }

    private static void removeInstance(Path dir) {
        try {
            Files.deleteIfExists(dir); // rmdir of an instance removes its buffer and files
        } catch (IOException ignored) {
            // busy (a reader still has it open) or gone: nothing more to do here
        }
    }

    /** The pipe this reads. */
    public Path path() {
        return pipe;
    }

    /** Whether this reads a private instance ({@link #openInstance}) rather than the top-level pipe others compete for. */
    public boolean isInstance() {
        return instance != null;
    }

    /** Whether the kernel filters the lines of this instance ({@link #openInstance(String, String)} with a filter it took). */
    public boolean filtered() {
        return filtered;
    }

    /**
     * Waits up to {@code timeoutMillis} for output and hands each complete line to {@code handler} (lines not in the
     * trace format are counted in {@link #unparsed()} and skipped); returns how many lines were handed over.
     */
    public int read(int timeoutMillis, Consumer<TraceLine> handler) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        int handed = 0;
        while (true) {
            // the ring buffer's poll wake-up can lag a commit, so a short wait is followed by a read regardless
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            epoll.await((int) Math.max(0, Math.min(left, 100)));
            long n;
            while ((n = Syscalls.read(fd.get(), buf, BUFFER)) > 0) handed += split(n, handler);
            if (n < 0 && n != -Errno.EAGAIN) throw BpfException.of("read " + pipe, (int) -n);
            if (handed > 0 || System.nanoTime() - deadline >= 0) return handed;
        }
    }

    private int split(long n, Consumer<TraceLine> handler) {
        int handed = 0;
        String chunk = new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        int start = 0;
        while (true) {
            int nl = chunk.indexOf('\n', start);
            if (nl < 0) {
                if (partial.length() < MAX_LINE) partial.append(chunk, start, Math.min(chunk.length(), start + MAX_LINE - partial.length()));
                return handed;
            }
            partial.append(chunk, start, nl);
            String line = partial.toString();
            partial.setLength(0);
            start = nl + 1;
            if (line.isBlank()) continue; // a format that ended in "\n" leaves an empty line behind it
            lines++;
            var parsed = TraceLine.parse(line);
            if (parsed.isPresent()) {
                handler.accept(parsed.get());
                handed++;
            } else {
                var lost = LOST.matcher(line);
                if (lost.matches()) lostEvents += Long.parseLong(lost.group(1));
                else unparsed++;
            }
        }
    }

    /** Lines read so far. */
    public long lines() {
        return lines;
    }

    /** Lines read that were not in the trace format (skipped), not counting lost-events notices. */
    public long unparsed() {
        return unparsed;
    }

    /** Events the kernel's trace buffer overwrote before they were read, as the pipe's lost-events notices report them. */
    public long lostEvents() {
        return lostEvents;
    }

    @Override
    public void close() {
        epoll.close();
        fd.close();
        arena.close();
        if (instance != null) removeInstance(instance);
    }
}
