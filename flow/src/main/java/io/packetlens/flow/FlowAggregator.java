package io.packetlens.flow;

import io.packetlens.ebpf.PerCpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * Turns the kernel flow table (or, in the AF_PACKET fallback, the table {@link PacketFlows} keeps in Java: any
 * {@link FlowSource}) into finished flow records. Each {@link #poll()} reads the whole table with
 * BPF_MAP_LOOKUP_BATCH (no deletion: the kernel keeps counting into the same entries, so no packet can fall between a
 * read and a delete) and then
 * <ul>
 *   <li>finishes flows that saw no packet for the <b>idle timeout</b> (default 15 s): their entry is removed with
 *       BPF_MAP_LOOKUP_AND_DELETE_ELEM, which returns the final counts atomically, and a record is emitted
 *       ({@link EndReason#IDLE});</li>
 *   <li>emits a record for flows running longer than the <b>active timeout</b> (default 60 s) since their last record
 *       ({@link EndReason#ACTIVE}); the entry stays and the next record carries the packets after this one;</li>
 *   <li>when the table is fuller than {@link Settings#evictAbove()}, finishes flows that were quiet since the last poll
 *       ({@link EndReason#EVICTED}) so that new flows find room.</li>
 * </ul>
 * {@link #flush()} drains the table (after detaching, at exit) and emits everything left ({@link EndReason#END}).
 * Timeouts are judged on the injected {@link FlowClock}, kernel timestamps become wall-clock time with its offset.
 * The sink is called on the polling thread. Thread-safe.
 *
 * <p>On pinned tables ({@link FlowProgram#pins()}) the aggregator keeps, in {@code flow_exported}, what it reported of
 * the flows that stay in the table, and a new aggregator on the same tables starts from there: the records of two
 * processes, one after the other, add up to what the kernel counted, without gaps or repeats. The one window is a kill
 * between a poll handing its records on and that poll's few map writes at its end.
 */
public final class FlowAggregator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("packetlens.flow");

    /**
     * @param activeTimeout a record at least this often for a long-running flow
     * @param idleTimeout   a flow without packets this long is finished
     * @param pollInterval  how often {@link #start()}'s thread polls
     * @param evictAbove    table fill (0..1] above which quiet flows are finished early
     * @param batchSize     entries read per batch system call
     */
    public record Settings(Duration activeTimeout, Duration idleTimeout, Duration pollInterval, double evictAbove,
                           int batchSize) {
        public static final Duration DEFAULT_ACTIVE_TIMEOUT = Duration.ofSeconds(60);
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(15);
        public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

        public Settings {
            requirePositive(activeTimeout, "active timeout");
            requirePositive(idleTimeout, "idle timeout");
            requirePositive(pollInterval, "poll interval");
            if (!(evictAbove > 0 && evictAbove <= 1)) throw new IllegalArgumentException("evictAbove must be in (0, 1], got " + evictAbove);
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }

        private static void requirePositive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive, got " + d);
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_ACTIVE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_POLL_INTERVAL, 0.9, 4096);
        }

        public Settings activeTimeout(Duration d) {
            return new Settings(d, idleTimeout, pollInterval, evictAbove, batchSize);
        }

        public Settings idleTimeout(Duration d) {
            return new Settings(activeTimeout, d, pollInterval, evictAbove, batchSize);
        }

        public Settings pollInterval(Duration d) {
            return new Settings(activeTimeout, idleTimeout, d, evictAbove, batchSize);
        }

        public Settings evictAbove(double fill) {
            return new Settings(activeTimeout, idleTimeout, pollInterval, fill, batchSize);
        }

        public Settings batchSize(int n) {
            return new Settings(activeTimeout, idleTimeout, pollInterval, evictAbove, n);
        }
    }

    /**
     * What has been accounted since the aggregator started.
     *
     * @param flows       flow-table entries seen (a flow that returns after being finished counts again)
     * @param flowTraffic packets and bytes counted in the flow table, exported or not
     * @param records     finished-flow records emitted
     * @param activeFlows flows in the table now
     * @param other       frames counted as "other" (non-IP, truncated, malformed), summed over keys
     * @param losses      the kernel's overflow and event counters
     */
    public record Totals(long flows, Count flowTraffic, long records, int activeFlows, Count other, LossCounters losses) {
        /** Every packet the program saw: flows, other, and those counted only as overflow. */
        public Count allTraffic() {
            return flowTraffic.plus(other).plus(losses.tableFull()).plus(losses.otherFull());
        }
    }

    /** What one poll did. */
    public record PollResult(int entries, int newFlows, int finished, int activeRecords) {}

    /**
     * Told each time a read of the table finds a flow's counts grown (by a poll, by the final read of a finished flow,
     * by the drain at exit), with the growth. The sum of all calls is every packet and byte the table counted, so a
     * consumer keeps running totals (per label, per source) at the cost of the flows that changed, not of the table.
     */
    @FunctionalInterface
    public interface CountListener {
        void counted(LiveFlow flow, long packets, long bytes);
    }

    private final FlowSource source;
    private final Settings settings;
    private final FlowClock clock;
    private final Consumer<FinishedFlow> sink;
    private final boolean perCpu;
    private final boolean fallback;
    private final int cpus;
    private final int capacity;
    private final FlowTableReader reader;
    private boolean closed;
    private final FlowStates states = new FlowStates();
    /** What was reported of flows still in pinned tables; null when nothing is pinned. */
    private final ExportedState exported;
    /** A batch of keys and values copied out of the kernel's buffers, read with plain array access. */
    private final int[] keyWords;
    /** {@link #keyWords} as bytes, to cut a new flow's key out of. */
    private final MemorySegment keyWordBytes;
    private final long[] valueWords;
    private final int valueWordStride;
    /** The bytes of one new flow's key. */
    private final byte[] keyBytes = new byte[FlowKey.SIZE];
    /** One value, for BPF_MAP_LOOKUP_AND_DELETE_ELEM. */
    private final long[] oneValue;

    private long pollCount;
    private long previousPollNanos = -1;
    private long wallOffset;
    private long flowsSeen;
    private long records;
    private long countedPackets;
    private long countedBytes;
    private CountListener countListener = (f, p, b) -> {};

    private volatile Thread poller;
    private volatile RuntimeException lastError;

    public FlowAggregator(FlowSource source, Settings settings, FlowClock clock, Consumer<FinishedFlow> sink) {
        this.source = Objects.requireNonNull(source);
        this.settings = Objects.requireNonNull(settings);
        this.clock = Objects.requireNonNull(clock);
        this.sink = Objects.requireNonNull(sink);
        this.reader = source.reader(settings.batchSize());
        this.perCpu = reader.perCpu();
        this.fallback = source.fallback();
        this.cpus = PerCpu.cpus();
        this.capacity = source.tableCapacity();
        this.keyWords = new int[reader.capacity() * FlowStates.WORDS];
        this.keyWordBytes = MemorySegment.ofArray(keyWords);
        this.valueWordStride = reader.valueWords();
        this.valueWords = new long[reader.capacity() * valueWordStride];
        this.oneValue = new long[valueWordStride];
        FlowPins pins = source.tablePins();
        this.exported = pins == null ? null : new ExportedState(((FlowProgram) source).exportedTable());
    }

    /** An aggregator with default settings on the system clock. */
    public FlowAggregator(FlowSource source, Consumer<FinishedFlow> sink) {
        this(source, Settings.defaults(), FlowClock.system(), sink);
    }

    public Settings settings() {
        return settings;
    }

    /** Sets who is told of every count growth (see {@link CountListener}); called on the polling thread. */
    public synchronized void onCounted(CountListener listener) {
        this.countListener = Objects.requireNonNull(listener);
    }

    /** Reads the table once, updates every flow and emits the records that are due. */
    public synchronized PollResult poll() {
        checkOpen();
        long now = clock.monotonicNanos();
        wallOffset = clock.wallOffsetNanos();
        long id = ++pollCount;
        int entries = 0, fresh = 0;
        reader.reset();
        int n;
        do {
            n = reader.next(keyWords, valueWords);
            fresh += visitBatch(n, id);
            entries += n;
        } while (n > 0);

        int finished = 0, active = 0;
        long idle = settings.idleTimeout().toNanos(), activeTimeout = settings.activeTimeout().toNanos();
        for (int i = 0; i < states.size(); ) {
            FlowState s = states.get(i);
            if (s.seenInPoll != id) { // gone from the table without us: report what we last saw
                emit(s, EndReason.END);
                states.removeAt(i);
                finished++;
            } else if (!s.changed && now - s.lastNanos >= idle) {
                finishFromKernel(s, EndReason.IDLE);
                states.removeAt(i);
                finished++;
            } else {
                if (s.segmentStart >= 0 && now - s.segmentOpened >= activeTimeout) {
                    emit(s, EndReason.ACTIVE);
                    s.segmentStart = -1;
                    active++;
                }
                i++;
            }
        }
        if (states.size() >= settings.evictAbove() * capacity) {
            for (int i = 0; i < states.size(); ) {
                FlowState s = states.get(i);
                if (!s.changed) {
                    finishFromKernel(s, EndReason.EVICTED);
                    states.removeAt(i);
                    finished++;
                } else {
                    i++;
                }
            }
        }
        previousPollNanos = now;
        if (exported != null) exported.commit();
        return new PollResult(entries, fresh, finished, active);
    }

    private void checkOpen() {
        // the batch buffers' addresses go to the kernel, which would write into freed memory
        if (closed) throw new IllegalStateException("flow aggregator is closed");
    }

    /** Takes in the {@code n} entries the last batch call copied into the arrays; returns how many were new flows. */
    private int visitBatch(int n, long pollId) {
        if (n == 0) return 0;
        int fresh = 0;
        for (int i = 0; i < n; i++) {
            if (visit(i, pollId)) fresh++;
        }
        return fresh;
    }

    /** Takes in entry {@code i} of the copied batch; returns true for a flow not known before. */
    private boolean visit(int i, long pollId) {
        FlowState s = states.find(keyWords, i * FlowStates.WORDS);
        boolean fresh = s == null;
        if (fresh) {
            MemorySegment.copy(keyWordBytes, ValueLayout.JAVA_BYTE, (long) i * FlowKey.SIZE, keyBytes, 0, FlowKey.SIZE);
            s = new FlowState(FlowKey.read(keyBytes));
            states.add(s, keyWords, i * FlowStates.WORDS);
            flowsSeen++;
        }
        s.read(valueWords, i * valueWordStride, perCpu, cpus);
        boolean restored = fresh && exported != null && exported.restore(s, keyBytes);
        if (restored) {
            // an earlier process reported part of this flow: this one accounts for the rest only
            s.previousPackets = s.exportedPackets;
            s.previousBytes = s.exportedBytes;
        }
        s.changed = s.packets != s.previousPackets;
        if (s.changed) counted(s, s.packets - s.previousPackets, s.bytes - s.previousBytes);
        if (restored) {
            s.segmentStart = s.changed ? Math.min(s.lastNanos, s.lastExportEnd + 1) : -1;
            s.segmentOpened = s.lastExportEnd;
        } else if (fresh) {
            s.segmentStart = s.firstNanos;
            s.segmentOpened = s.firstNanos;
        } else if (s.changed && s.segmentStart < 0) {
            // the first packet after the last record came after the previous poll read the table
            s.segmentStart = Math.min(s.lastNanos, Math.max(s.lastExportEnd + 1, previousPollNanos));
            s.segmentOpened = previousPollNanos;
        }
        s.seenInPoll = pollId;
        return fresh;
    }

    /** Removes the flow's entry, taking the final counts the kernel returns with it, and emits its last record. */
    private void finishFromKernel(FlowState s, EndReason reason) {
        if (reader.remove(states.keyWords(), s.slot * FlowStates.WORDS, oneValue)) {
            long before = s.packets, beforeBytes = s.bytes;
            s.read(oneValue, 0, perCpu, cpus);
            if (s.packets != before) counted(s, s.packets - before, s.bytes - beforeBytes);
            if (s.packets != before && s.segmentStart < 0) {
                s.segmentStart = Math.min(s.lastNanos, Math.max(s.lastExportEnd + 1, previousPollNanos));
            }
        }
        emit(s, reason);
    }

    private void counted(FlowState s, long packets, long bytes) {
        countedPackets += packets;
        countedBytes += bytes;
        try {
            countListener.counted(s, packets, bytes);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "flow count listener failed on " + s.key, e);
        }
    }

    /** Emits the packets not yet exported as one record, if there are any. */
    private void emit(FlowState s, EndReason reason) {
        long packets = s.unexportedPackets(), bytes = s.unexportedBytes();
        if (exported != null && reason != EndReason.ACTIVE) exported.finished(s);
        if (packets <= 0) return;
        long start = s.segmentStart >= 0 ? s.segmentStart : s.firstNanos;
        FinishedFlow f = new FinishedFlow(s.key, packets, bytes, s.unexportedIpBytes(), FlowClock.toInstant(start, wallOffset),
                FlowClock.toInstant(s.lastNanos, wallOffset), start, s.lastNanos, s.tcpFlags, s.minLength, s.maxLength,
                s.dscp, s.fragments, reason, fallback, null, s.outer);
        s.exportedPackets = s.packets;
        s.exportedBytes = s.bytes;
        s.exportedIpBytes = s.ipBytes;
        s.lastExportEnd = s.lastNanos;
        records++;
        try {
            sink.accept(f);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "flow record sink failed on " + f, e);
        }
        if (exported != null && reason == EndReason.ACTIVE) exported.reported(s);
    }

    /**
     * Drains the flow table (BPF_MAP_LOOKUP_AND_DELETE_BATCH) and emits every flow as finished ({@link EndReason#END}).
     * Call it after detaching: packets that arrive while the drain runs start new entries, read by a later flush.
     */
    public synchronized void flush() {
        checkOpen();
        wallOffset = clock.wallOffsetNanos();
        long id = ++pollCount;
        reader.reset();
        int n;
        do {
            n = reader.drainNext(keyWords, valueWords);
            visitBatch(n, id);
        } while (n > 0);
        for (int i = 0; i < states.size(); i++) emit(states.get(i), EndReason.END);
        states.clear();
        if (exported != null) exported.clear(); // the table is empty: nothing of any flow is left to remember
        previousPollNanos = clock.monotonicNanos();
    }

    /** Totals since the start: flows, packets and bytes accounted (exported or not), other frames and losses. */
    public synchronized Totals totals() {
        Count other = source.otherCounts().values().stream().reduce(Count.ZERO, Count::plus);
        return new Totals(flowsSeen, new Count(countedPackets, countedBytes), records, states.size(), other, source.counters());
    }

    /** Flows in the table as of the last poll. */
    public synchronized int activeCount() {
        return states.size();
    }

    /**
     * The {@code n} busiest flows of the last poll in {@code order}, busiest first. Costs one pass over the flows and a
     * heap of {@code n}, not a sort of the table, so it suits a view refreshed every poll.
     */
    public synchronized List<ActiveFlow> topFlows(int n, FlowOrder order) {
        if (n <= 0) return List.of();
        Comparator<FlowState> asc = order::compare;
        PriorityQueue<FlowState> heap = new PriorityQueue<>(Math.min(n, Math.max(states.size(), 1)) + 1, asc);
        for (int i = 0; i < states.size(); i++) {
            FlowState s = states.get(i);
            if (heap.size() < n) {
                heap.add(s);
            } else if (asc.compare(s, heap.peek()) > 0) {
                heap.poll();
                heap.add(s);
            }
        }
        List<ActiveFlow> out = new ArrayList<>(heap.size());
        while (!heap.isEmpty()) out.add(active(heap.poll()));
        return out.reversed();
    }

    /**
     * Hands each flow whose counts grew in the last poll to {@code visitor} (on the caller's thread, under the
     * aggregator's lock; the {@link LiveFlow} is valid only during the call).
     */
    public synchronized void forEachChanged(Consumer<? super LiveFlow> visitor) {
        for (int i = 0; i < states.size(); i++) {
            FlowState s = states.get(i);
            if (s.changed && s.seenInPoll == pollCount) visitor.accept(s);
        }
    }

    private ActiveFlow active(FlowState s) {
        return new ActiveFlow(s.key, s.packets, s.bytes, s.packets - s.previousPackets, s.bytes - s.previousBytes,
                FlowClock.toInstant(s.firstNanos, wallOffset), FlowClock.toInstant(s.lastNanos, wallOffset), s.tcpFlags);
    }

    /** The flows in the table as of the last poll, largest byte count first. */
    public synchronized List<ActiveFlow> activeFlows() {
        List<ActiveFlow> out = new ArrayList<>(states.size());
        for (int i = 0; i < states.size(); i++) out.add(active(states.get(i)));
        out.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
        return out;
    }

    /** Polls every {@link Settings#pollInterval()} on a daemon thread until {@link #close()}. */
    public synchronized void start() {
        if (poller != null) throw new IllegalStateException("already started");
        long interval = settings.pollInterval().toMillis();
        poller = Thread.ofPlatform().daemon(true).name("flow-aggregator").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval);
                    poll();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    lastError = e;
                    LOG.log(System.Logger.Level.WARNING, "flow table poll failed", e);
                }
            }
        });
    }

    /** The last error of the polling thread, or null. */
    public RuntimeException lastError() {
        return lastError;
    }

    /** Stops the polling thread started by {@link #start()}, if any; polling and flushing by hand still work. */
    public void stop() {
        Thread t = poller;
        if (t != null) {
            t.interrupt();
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops polling and frees the buffers; does not flush (call {@link #flush()} first to report what is left). */
    @Override
    public void close() {
        stop();
        synchronized (this) {
            if (!closed) {
                closed = true;
                reader.close();
                if (exported != null) exported.close();
            }
        }
    }
}
