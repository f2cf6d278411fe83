package io.packetlens.flow;

import io.packetlens.ebpf.events.ChannelKind;
import io.packetlens.ebpf.events.EventHandler;
import io.packetlens.ebpf.events.EventSource;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A subscription to the flow program's events: opens its event channel ({@code flow_events}, a BPF ring buffer or a
 * perf buffer as chosen at load, see {@link FlowProgram#eventChannels()}) and hands each record to a handler on one
 * reader thread. The reader copies nothing: per record it makes at most the view it hands over (a {@code MemorySegment}
 * the JIT usually scalar-replaces, see {@link io.packetlens.ebpf.ringbuf.RecordHandler}); what the handler gets is
 * decided by the form used:
 * {@link #open(FlowProgram, FlowEventHandler)} decodes each record into a {@link FlowEvent},
 * {@link #openRaw(FlowProgram, EventHandler)} passes the kernel's bytes as a view valid during the call (read with
 * {@link FlowEvent}'s static accessors). A handler that throws does not stop the reader: the record counts as
 * delivered, the error is counted and the first one kept ({@link #firstError()}).
 *
 * <p>Losses are counted twice over, by the program: per kind of failure and CPU in the channel's counters
 * ({@link #losses()}), and in total in {@link FlowProgram#counters()} ({@code eventsLost}). Closing stops the reader
 * (the program keeps running and counting); the program must outlive this subscription.
 */
public final class FlowEvents implements AutoCloseable {
    /** How long one blocking read waits before checking for close; close wakes it at once anyway. */
    private static final long READ_TIMEOUT_MILLIS = 200;

    private final FlowProgram program;
    private final EventSource source;
    private final Thread thread;
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private volatile long delivered;
    private volatile long handlerErrors;
    private volatile boolean closed;

    private FlowEvents(FlowProgram program, EventHandler handler, String threadName) {
        this.program = program;
        EventHandler guarded = record -> {
            try {
                handler.onRecord(record);
            } catch (RuntimeException | Error e) {
                handlerErrors++; // only the reader thread writes
                firstError.compareAndSet(null, e);
            }
            delivered++;
        };
        this.source = program.eventChannels().open(program.object(), FlowProgram.EVENTS, guarded);
        this.thread = Thread.ofPlatform().name(threadName).daemon().unstarted(this::run);
        thread.start();
    }

    /** Reads the program's events, decoded into {@link FlowEvent}s with wall-clock time, on a thread of its own. */
    public static FlowEvents open(FlowProgram program, FlowEventHandler handler) {
        Objects.requireNonNull(handler);
        long offset = FlowClock.system().wallOffsetNanos();
        return new FlowEvents(program, record -> handler.onEvent(FlowEvent.read(record, offset)), "flow-events");
    }

    /** Reads the program's events as raw record views (valid only during the call): nothing is copied or decoded. */
    public static FlowEvents openRaw(FlowProgram program, EventHandler handler) {
        return new FlowEvents(program, Objects.requireNonNull(handler), "flow-events-raw");
    }

    private void run() {
        while (!closed) {
            if (source.read(READ_TIMEOUT_MILLIS) == EventSource.CLOSED) return;
        }
    }

    /** The reader thread (tests measure what it allocates). */
    Thread readerThread() {
        return thread;
    }

    /** The channel carrying the events. */
    public ChannelKind channel() {
        return source.kind();
    }

    /** Records handed to the handler so far. */
    public long delivered() {
        return delivered;
    }

    /** Records whose handler call threw. */
    public long handlerErrors() {
        return handlerErrors;
    }

    /** The first exception a handler threw, or null. */
    public Throwable firstError() {
        return firstError.get();
    }

    /** The channel's loss counters (per reason and CPU) and backlog. */
    public io.packetlens.ebpf.events.LossCounters losses() {
        return source.losses();
    }

    /**
     * Waits until the handler has seen every record the program submitted so far ({@code eventsSent} of
     * {@link FlowProgram#counters()}), or the timeout passes; returns whether it caught up.
     */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long sent = program.counters().eventsSent().packets();
        while (delivered < sent) {
            if (System.nanoTime() - deadline > 0 || closed) return false;
            Thread.sleep(5);
        }
        return true;
    }

    /** Stops the reader thread and unmaps the channel; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        source.close();
        boolean interrupted = false;
        while (thread.isAlive() && thread != Thread.currentThread()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
