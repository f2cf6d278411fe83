package io.packetlens.export;

import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowEvent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one {@link Exporter} on a thread of its own behind a bounded queue. {@link #offer} never
 * blocks: the poll thread hands over each finished record and goes on, whatever the destination
 * does; a full queue gives up records by the {@link DropPolicy}, counting each. The thread sends in
 * batches, retries a failed batch with exponential backoff (reopening the destination), flushes when
 * the queue runs empty and ticks the exporter for time-driven work. {@link #close()} drains the
 * queue for up to the flush timeout and counts whatever is left as failed.
 */
public final class ExporterRunner implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("packetlens.export");
    /** Put in the queue by {@link #close()} to wake a thread waiting for records. */
    private static final Object WAKE = new Object();

    private final String name;
    private final String type;
    private final Exporter exporter;
    private final ExporterSettings settings;
    private final ArrayBlockingQueue<Object> queue;
    private final Thread thread;
    private final AtomicLong offered = new AtomicLong(), sent = new AtomicLong(), dropped = new AtomicLong(),
            failed = new AtomicLong(), sendErrors = new AtomicLong();
    /** Records taken off the queue and not yet counted: whoever ends their fate (the thread, or close()) takes them. */
    private final AtomicLong inHand = new AtomicLong();
    private volatile boolean connected;
    private volatile String lastError;
    private volatile boolean stopping;
    private volatile long stopDeadline;

    /**
     * Starts a runner for {@code exporter}, which was made with {@code context} (the runner counts the deliveries the
     * exporter reports there).
     */
    public static ExporterRunner start(String name, String type, ExporterSettings settings, Exporter exporter,
                                       ExportContext context) {
        return new ExporterRunner(name, type, settings, exporter, context);
    }

    private ExporterRunner(String name, String type, ExporterSettings settings, Exporter exporter, ExportContext context) {
        this.name = Objects.requireNonNull(name);
        this.type = Objects.requireNonNull(type);
        this.settings = Objects.requireNonNull(settings);
        this.exporter = Objects.requireNonNull(exporter);
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        context.bind(new ExportContext.DeliveryListener() {
            @Override
            public void delivered(long records) {
                sent.addAndGet(records);
            }

            @Override
            public void failed(long records, Throwable cause) {
                failed.addAndGet(records);
                lastError = message(cause);
            }
        });
        this.thread = Thread.ofPlatform().daemon(true).name("export-" + name).start(this::run);
    }

    public String name() {
        return name;
    }

    public boolean wantsEvents() {
        return exporter.wantsEvents();
    }

    /** Queues a finished record; never blocks. Returns false when the record (or an older one) was dropped. */
    public boolean offer(FinishedFlow flow) {
        return enqueue(flow);
    }

    /** Queues an event (for exporters that {@linkplain Exporter#wantsEvents() want them}); never blocks. */
    public boolean offer(FlowEvent event) {
        return enqueue(event);
    }

    private boolean enqueue(Object item) {
        offered.incrementAndGet();
        if (!stopping && queue.offer(item)) return true;
        if (stopping || settings.dropPolicy() == DropPolicy.DROP_NEWEST) {
            dropped.incrementAndGet();
            return false;
        }
        // DROP_OLDEST: make room; the consumer may empty the queue meanwhile, then the offer succeeds at once
        while (!queue.offer(item)) {
            if (queue.poll() != null) dropped.incrementAndGet();
        }
        return false;
    }

    public ExporterStats stats() {
        return new ExporterStats(name, type, offered.get(), sent.get(), dropped.get(), failed.get(), queued(),
                settings.queueCapacity(), sendErrors.get(), connected, lastError);
    }

    private int queued() {
        int n = queue.size();
        return stopping && n > 0 && queue.contains(WAKE) ? n - 1 : n;
    }

    private void run() {
        List<Object> taken = new ArrayList<>(settings.batchSize());
        List<FinishedFlow> flows = new ArrayList<>(settings.batchSize());
        List<FlowEvent> events = new ArrayList<>();
        long tickEvery = Math.max(exporter.tickInterval(), 1_000_000L);
        long nextTick = System.nanoTime() + tickEvery;
        boolean unflushed = false;
        try {
            while (true) {
                if (!connected && !openWithRetry()) break;
                long now = System.nanoTime();
                if (now >= nextTick) {
                    if (!attempt(() -> exporter.tick(System.nanoTime()))) continue;
                    nextTick = now + tickEvery;
                }
                Object first = queue.poll();
                if (first == null) {
                    // the queue ran empty: push out what the exporter buffers now, not at the next tick
                    if (unflushed && attempt(exporter::flush)) unflushed = false;
                    if (stopping) {
                        if (queue.isEmpty() && !unflushed) break;
                        continue;
                    }
                    first = queue.poll(Math.max(0, nextTick - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (first == null) continue;
                }
                taken.clear();
                taken.add(first);
                queue.drainTo(taken, settings.batchSize() - 1);
                flows.clear();
                events.clear();
                for (Object o : taken) {
                    if (o instanceof FinishedFlow f) flows.add(f);
                    else if (o instanceof FlowEvent e) events.add(e);
                }
                if (flows.isEmpty() && events.isEmpty()) continue;
                if (!sendWithRetry(flows, events)) break;
                unflushed = true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            lastError = message(e);
            LOG.log(System.Logger.Level.ERROR, "exporter " + name + " stopped on an unexpected error", e);
        } finally {
            long left = queue.stream().filter(o -> o != WAKE).count();
            queue.clear();
            if (left > 0) failed.addAndGet(left);
            try {
                exporter.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "exporter " + name + ": close failed", e);
            }
            connected = false;
        }
    }

    /** One call to the exporter; on failure counts it, reopens next time and backs off. Returns whether it worked. */
    private boolean attempt(IoAction action) {
        try {
            action.run();
            return true;
        } catch (Exception e) {
            failure("flush/tick", e);
            backoffSleep(settings.initialBackoff());
            return false;
        }
    }

    private boolean openWithRetry() {
        Duration backoff = settings.initialBackoff();
        while (true) {
            if (pastDeadline()) return false;
            try {
                exporter.open();
                connected = true;
                return true;
            } catch (Exception e) {
                failure("open", e);
                backoffSleep(backoff);
                backoff = next(backoff);
            }
        }
    }

    /** Sends one batch until it goes through; false when shutdown's deadline passed first (the batch counts as failed). */
    private boolean sendWithRetry(List<FinishedFlow> flows, List<FlowEvent> events) {
        Duration backoff = settings.initialBackoff();
        inHand.set(flows.size() + events.size());
        while (true) {
            try {
                if (!connected) {
                    exporter.open();
                    connected = true;
                }
                if (!flows.isEmpty()) {
                    exporter.send(flows);
                    taken(flows.size());
                    flows = List.of(); // taken: a failure of the events below must not send them again
                }
                if (!events.isEmpty()) exporter.sendEvents(events);
                taken(events.size());
                return true;
            } catch (PartialSendException e) {
                taken(e.accepted());
                flows = flows.subList(Math.min(e.accepted(), flows.size()), flows.size());
                failure("send", e);
                if (pastDeadline()) {
                    failed.addAndGet(inHand.getAndSet(0));
                    return false;
                }
                backoffSleep(backoff);
                backoff = next(backoff);
            } catch (Exception e) {
                failure("send", e);
                if (pastDeadline()) {
                    failed.addAndGet(inHand.getAndSet(0));
                    return false;
                }
                backoffSleep(backoff);
                backoff = next(backoff);
            }
        }
    }

    /**
     * Records of the batch in hand the exporter took: no longer the runner's to retry or to count failed. They count as
     * sent now, or, for an exporter that reports delivery itself, when it does.
     */
    private void taken(int records) {
        long n = records;
        long left;
        do {
            left = inHand.get();
            n = Math.min(n, left); // less when close() gave up on this batch meanwhile and counted it
        } while (!inHand.compareAndSet(left, left - n));
        if (!exporter.reportsDelivery()) sent.addAndGet(n);
    }

    private void failure(String what, Exception e) {
        sendErrors.incrementAndGet();
        connected = false;
        String m = message(e);
        if (!m.equals(lastError)) LOG.log(System.Logger.Level.WARNING, "exporter " + name + ": " + what + " failed: " + m + " (retrying)");
        lastError = m;
    }

    private Duration next(Duration backoff) {
        Duration d = backoff.multipliedBy(2);
        return d.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : d;
    }

    private void backoffSleep(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        if (stopping) until = Math.min(until, stopDeadline);
        for (long left; (left = until - System.nanoTime()) > 0 && !Thread.currentThread().isInterrupted(); ) {
            LockSupport.parkNanos(this, left);
            if (stopping) until = Math.min(until, stopDeadline);
        }
    }

    private boolean pastDeadline() {
        return stopping && System.nanoTime() - stopDeadline >= 0;
    }

    private static String message(Throwable e) {
        if (e == null) return "unknown error";
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /**
     * Stops taking records, sends what is queued for up to the flush timeout, then closes the exporter.
     * Records still queued after that count as failed. Idempotent.
     */
    @Override
    public void close() {
        if (!stopping) {
            stopDeadline = System.nanoTime() + settings.flushTimeout().toNanos();
            stopping = true;
        }
        queue.offer(WAKE); // a thread waiting in poll() sees it at once; a full queue needs no waking
        LockSupport.unpark(thread);
        try {
            thread.join(settings.flushTimeout().plusSeconds(2));
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(1000);
            }
            if (thread.isAlive()) {
                // stuck in a write the destination never completes: give up on what it holds, and count it
                LOG.log(System.Logger.Level.WARNING, "exporter " + name + " did not finish within its flush timeout; abandoning it");
                long left = inHand.getAndSet(0) + queue.stream().filter(o -> o != WAKE).count();
                queue.clear();
                failed.addAndGet(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws Exception;
    }
}
