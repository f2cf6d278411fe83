package io.packetlens.ebpf.tracing;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.ObjectSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Java half of {@code packetlens_debug.h} ({@code --debug-kernel}): reads bpf_printk output on a daemon thread,
 * keeps the lines of the programs this log turned on ({@link KernelDebugLine}: prefix {@code pl:<tag>:<program>: }),
 * and logs each one through the platform logger {@code packetlens.kernel.<program>} (java.util.logging unless the
 * application installs another backend) at INFO, with the task, pid and CPU the program ran on.
 *
 * <p>Turning prints on: {@link #configure(ObjectSpec)} sets an object's {@code pl_debug} switch ({@code .rodata}) to
 * this log's {@link #tag()} before load. Programs loaded with the switch at 0 carry no print at all: the verifier
 * removes the branches (see packetlens_debug.h). Every other bpf_printk line (another program's, or another packetlens
 * process's, whose tag differs) is left out and counted in {@link #foreign()}.
 *
 * <p>Where the lines come from ({@link Source}): by default a private tracefs instance
 * ({@code instances/packetlens-debug-<pid>-<tag>}) with the bpf_trace_printk event enabled and filtered by the kernel
 * on this log's prefix, so that its buffer holds only this log's lines and no other reader of trace_pipe
 * ({@code bpftool prog tracelog}, another packetlens) takes them away. On a kernel whose instances have no
 * bpf_trace_printk event it falls back to the top-level trace_pipe, where every reader competes for the lines
 * (reading consumes them), and says so in a warning. Lines the kernel's trace buffer overwrote before they were read
 * are counted in {@link #lost()} and reported in a warning.
 *
 * <p>{@link #close()} reads what is left, stops the thread and closes the pipe (removing the instance).
 */
public final class KernelDebugLog implements AutoCloseable {
    /** The {@code .rodata} switch of packetlens_debug.h. */
    public static final String SWITCH = "pl_debug";
    /** The parent logger of the per-program loggers {@code packetlens.kernel.<program>}. */
    public static final String LOGGER = "packetlens.kernel";
    static final String INSTANCE_PREFIX = "packetlens-debug-";
    private static final Pattern INSTANCE_NAME = Pattern.compile("^" + INSTANCE_PREFIX + "(\\d+)-[0-9a-f]+$");
    private static final System.Logger LOG = System.getLogger(LOGGER);
    /** Distinct program names given a logger of their own; lines of further names go to {@link #LOGGER} itself. */
    private static final int MAX_LOGGERS = 64;
    private static final long LOST_WARNING_EVERY_NANOS = 10_000_000_000L;

    /** Where a log reads bpf_printk output from. */
    public enum Source {
        /** A private tracefs instance whose bpf_trace_printk event the kernel filters by this log's prefix. */
        FILTERED_INSTANCE,
        /** A private tracefs instance that takes every bpf_printk line; this log picks its own. */
        INSTANCE,
        /** The top-level trace_pipe, which every other reader competes for. */
        TOP_LEVEL
    }

    private final int tag;
    private final TracePipe pipe;
    private final Thread thread;
    private final Map<String, System.Logger> loggers = new HashMap<>(); // the reader thread's
    private final AtomicLong logged = new AtomicLong(), foreign = new AtomicLong();
    private volatile boolean running = true;
    private long lostWarned;
    private long lastLostWarning = System.nanoTime() - LOST_WARNING_EVERY_NANOS;

    private KernelDebugLog(int tag, TracePipe pipe) {
        this.tag = tag;
        this.pipe = pipe;
        this.thread = Thread.ofPlatform().daemon().name("packetlens-kernel-debug").unstarted(this::run);
    }

    /** Starts a log reading from a filtered private instance, or, where the kernel has none, the top-level trace_pipe. */
    public static KernelDebugLog start() {
        try {
            return start(Source.FILTERED_INSTANCE);
        } catch (BpfException.NotFoundException e) {
            KernelDebugLog log = start(Source.TOP_LEVEL);
            LOG.log(System.Logger.Level.WARNING, "kernel debug lines are read from the shared " + log.pipe.path() + " (" + e.getMessage()
                    + "): other readers of it, such as bpftool prog tracelog, take lines away from this log");
            return log;
        }
    }

    /** Starts a log reading from {@code source}, with a new random tag. */
    public static KernelDebugLog start(Source source) {
        int tag = newTag();
        TracePipe pipe = switch (source) {
            case TOP_LEVEL -> TracePipe.open();
            case INSTANCE, FILTERED_INSTANCE -> {
                removeStaleInstances();
                String name = INSTANCE_PREFIX + ProcessHandle.current().pid() + "-" + Integer.toHexString(tag);
                yield TracePipe.openInstance(name, source == Source.FILTERED_INSTANCE
                        ? "bpf_string ~ \"" + KernelDebugLine.prefix(tag) + "*\"" : null);
            }
        };
        KernelDebugLog log = new KernelDebugLog(tag, pipe);
        log.thread.start();
        LOG.log(System.Logger.Level.INFO, "kernel debug prints of packetlens's programs (tag " + Integer.toHexString(tag) + ") from "
                + pipe.path() + (pipe.filtered() ? ", filtered by the kernel" : ""));
        return log;
    }

    private static int newTag() {
        int t;
        do {
            t = ThreadLocalRandom.current().nextInt();
        } while (t == 0);
        return t;
    }

    /** Sets an object's debug switch ({@value #SWITCH}) to {@code tag} before load; 0 turns its prints off. */
    public static ObjectSpec configure(ObjectSpec spec, int tag) {
        spec.variable(SWITCH).set(Integer.toUnsignedLong(tag));
        return spec;
    }

    /** Turns on the debug prints of an object (built with packetlens_debug.h) for this log. */
    public ObjectSpec configure(ObjectSpec spec) {
        return configure(spec, tag);
    }

    /** Instances of packetlens processes that are gone (killed before they could remove theirs). */
    private static void removeStaleInstances() {
        Path instances = Tracefs.root().resolve("instances");
        try (Stream<Path> s = Files.list(instances)) {
            s.forEach(dir -> {
                Matcher m = INSTANCE_NAME.matcher(dir.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    try {
                        Files.deleteIfExists(dir);
                    } catch (IOException ignored) {
                        // busy or gone meanwhile: not ours to insist on
                    }
                }
            });
        } catch (IOException | NumberFormatException ignored) {
            // no instances directory: openInstance says what is missing
        }
    }

    /** The value this log's programs get in their switch, and find in their lines. */
    public int tag() {
        return tag;
    }

    /** The trace_pipe this log reads. */
    public Path pipe() {
        return pipe.path();
    }

    /** Whether this log reads its own tracefs instance (not the top-level pipe other readers compete for). */
    public boolean privateInstance() {
        return pipe.isInstance();
    }

    /** Lines logged. */
    public long logged() {
        return logged.get();
    }

    /** bpf_printk lines read that were not this log's: other programs', or other packetlens processes' (another tag). */
    public long foreign() {
        return foreign.get();
    }

    /** Lines the kernel's trace buffer overwrote before this log read them (any program's: the buffer is shared). */
    public long lost() {
        return pipe.lostEvents();
    }

    private void run() {
        try {
            while (running) read(200);
            read(0); // what arrived before close
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "kernel debug log stopped: reading " + pipe.path() + " failed: " + e.getMessage());
        }
    }

    private void read(int timeoutMillis) {
        pipe.read(timeoutMillis, this::accept);
        long lost = pipe.lostEvents();
        if (lost > lostWarned && System.nanoTime() - lastLostWarning >= LOST_WARNING_EVERY_NANOS) {
            LOG.log(System.Logger.Level.WARNING, (lost - lostWarned) + " trace lines lost (" + lost + " in all): the kernel's trace buffer "
                    + "overran before " + pipe.path() + " was read; fewer prints, or a larger buffer_size_kb, keep them");
            lostWarned = lost;
            lastLostWarning = System.nanoTime();
        }
    }

    /** One trace line: logged if it is this log's, else counted. */
    void accept(TraceLine line) {
        var debug = KernelDebugLine.parse(line);
        if (debug.isEmpty() || debug.get().tag() != tag) {
            if (line.isBpfPrintk()) foreign.incrementAndGet();
            return;
        }
        KernelDebugLine d = debug.get();
        try {
            logger(d.program()).log(System.Logger.Level.INFO, "[" + d.program() + "] " + d.text() + " (" + line.task() + " pid " + line.pid()
                    + ", cpu " + line.cpu() + ")");
        } catch (RuntimeException e) {
            // a failing log handler must not end the reader; the line still counts as handed to the log
        }
        logged.incrementAndGet();
    }

    private System.Logger logger(String program) {
        System.Logger l = loggers.get(program);
        if (l == null) {
            if (loggers.size() >= MAX_LOGGERS) return LOG;
            l = System.getLogger(LOGGER + "." + program);
            loggers.put(program, l);
        }
        return l;
    }

    @Override
    public void close() {
        if (!running) return;
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            // never seen: a read returns within its 200 ms wait; closing the fd under it could hit a reused fd
            LOG.log(System.Logger.Level.WARNING, "kernel debug reader did not stop; leaving " + pipe.path() + " open");
            return;
        }
        pipe.close();
        LOG.log(System.Logger.Level.DEBUG, "kernel debug log closed: " + logged() + " lines logged, " + foreign() + " foreign, " + lost() + " lost");
    }
}
