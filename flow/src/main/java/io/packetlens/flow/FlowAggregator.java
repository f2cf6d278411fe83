package io.packetlens.flow;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapBatch;
import io.packetlens.ebpf.sys.Cpus;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Turns the kernel flow table into finished flow records. Each {@link #poll()} reads the whole table with
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

    private final FlowProgram program;
    private final BpfMap table;
    private final Settings settings;
    private final FlowClock clock;
    private final Consumer<FinishedFlow> sink;
    private final boolean perCpu;
    private final int cpus;
    private final MapBatch batch;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment key;
    private final MemorySegment value;
    private final RawKey probe = new RawKey();
    private final Map<RawKey, FlowState> states = new HashMap<>();

    private long pollCount;
    private long previousPollNanos = -1;
    private long wallOffset;
    private long flowsSeen;
    private long records;
    private long exportedPackets;
    private long exportedBytes;

    private volatile Thread poller;
    private volatile RuntimeException lastError;

    public FlowAggregator(FlowProgram program, Settings settings, FlowClock clock, Consumer<FinishedFlow> sink) {
        this.program = Objects.requireNonNull(program);
        this.table = program.flowTable();
        this.settings = Objects.requireNonNull(settings);
        this.clock = Objects.requireNonNull(clock);
        this.sink = Objects.requireNonNull(sink);
        this.perCpu = table.type().isPerCpu();
        this.cpus = Cpus.possible();
        this.batch = table.batch(Math.min(settings.batchSize(), Math.max(table.maxEntries(), 1)));
        this.key = arena.allocate(FlowKey.SIZE, 8);
        this.value = arena.allocate(table.lookupValueSize(), 8);
    }

    /** An aggregator with default settings on the system clock. */
    public FlowAggregator(FlowProgram program, Consumer<FinishedFlow> sink) {
        this(program, Settings.defaults(), FlowClock.system(), sink);
    }

    public Settings settings() {
        return settings;
    }

    /** Reads the table once, updates every flow and emits the records that are due. */
    public synchronized PollResult poll() {
        checkOpen();
        long now = clock.monotonicNanos();
        wallOffset = clock.wallOffsetNanos();
        long id = ++pollCount;
        int entries = 0, fresh = 0;
        batch.reset();
        int n;
        do {
            n = batch.lookupNext();
            for (int i = 0; i < n; i++) {
                if (visit(batch.keys(), (long) i * FlowKey.SIZE, batch.values(), (long) i * batch.valueStride(), id)) fresh++;
            }
            entries += n;
        } while (n > 0);

        int finished = 0, active = 0;
        long idle = settings.idleTimeout().toNanos(), activeTimeout = settings.activeTimeout().toNanos();
        for (Iterator<FlowState> it = states.values().iterator(); it.hasNext(); ) {
            FlowState s = it.next();
            if (s.seenInPoll != id) { // gone from the table without us: report what we last saw
                emit(s, EndReason.END);
                it.remove();
                finished++;
            } else if (!s.changed && now - s.lastNanos >= idle) {
                finishFromKernel(s, EndReason.IDLE);
                it.remove();
                finished++;
            } else if (s.segmentStart >= 0 && now - s.segmentOpened >= activeTimeout) {
                emit(s, EndReason.ACTIVE);
                s.segmentStart = -1;
                active++;
            }
        }
        if (states.size() >= settings.evictAbove() * table.maxEntries()) {
            for (Iterator<FlowState> it = states.values().iterator(); it.hasNext(); ) {
                FlowState s = it.next();
                if (!s.changed) {
                    finishFromKernel(s, EndReason.EVICTED);
                    it.remove();
                    finished++;
                }
            }
        }
        previousPollNanos = now;
        return new PollResult(entries, fresh, finished, active);
    }

    private void checkOpen() {
        // the batch buffers' addresses go to the kernel, which would write into freed memory
        if (!arena.scope().isAlive()) throw new IllegalStateException("flow aggregator is closed");
    }

    /** Takes in one table entry; returns true for a flow not known before. */
    private boolean visit(MemorySegment keys, long keyOffset, MemorySegment values, long valueOffset, long pollId) {
        FlowState s = states.get(probe.load(keys, keyOffset));
        boolean fresh = s == null;
        if (fresh) {
            s = new FlowState(probe.copy(), FlowKey.read(keys, keyOffset));
            states.put(s.raw, s);
            flowsSeen++;
        }
        s.read(values, valueOffset, perCpu, cpus);
        s.changed = s.packets != s.previousPackets;
        if (fresh) {
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
        s.raw.store(key, 0);
        if (table.lookupAndDelete(key, value)) {
            long before = s.packets;
            s.read(value, 0, perCpu, cpus);
            if (s.packets != before && s.segmentStart < 0) {
                s.segmentStart = Math.min(s.lastNanos, Math.max(s.lastExportEnd + 1, previousPollNanos));
            }
        }
        emit(s, reason);
    }

    /** Emits the packets not yet exported as one record, if there are any. */
    private void emit(FlowState s, EndReason reason) {
        long packets = s.unexportedPackets(), bytes = s.unexportedBytes();
        if (packets <= 0) return;
        long start = s.segmentStart >= 0 ? s.segmentStart : s.firstNanos;
        FinishedFlow f = new FinishedFlow(s.key, packets, bytes, FlowClock.toInstant(start, wallOffset),
                FlowClock.toInstant(s.lastNanos, wallOffset), start, s.lastNanos, s.tcpFlags, s.minLength, s.maxLength,
                s.dscp, s.fragments, reason);
        s.exportedPackets = s.packets;
        s.exportedBytes = s.bytes;
        s.lastExportEnd = s.lastNanos;
        exportedPackets += packets;
        exportedBytes += bytes;
        records++;
        try {
            sink.accept(f);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "flow record sink failed on " + f, e);
        }
    }

    /**
     * Drains the flow table (BPF_MAP_LOOKUP_AND_DELETE_BATCH) and emits every flow as finished ({@link EndReason#END}).
     * Call it after detaching: packets that arrive while the drain runs start new entries, read by a later flush.
     */
    public synchronized void flush() {
        checkOpen();
        wallOffset = clock.wallOffsetNanos();
        long id = ++pollCount;
        batch.reset();
        int n;
        do {
            n = batch.lookupAndDeleteNext();
            for (int i = 0; i < n; i++) visit(batch.keys(), (long) i * FlowKey.SIZE, batch.values(), (long) i * batch.valueStride(), id);
        } while (n > 0);
        for (FlowState s : states.values()) emit(s, EndReason.END);
        states.clear();
        previousPollNanos = clock.monotonicNanos();
    }

    /** Totals since the start: flows, packets and bytes accounted (exported or not), other frames and losses. */
    public synchronized Totals totals() {
        long packets = exportedPackets, bytes = exportedBytes;
        for (FlowState s : states.values()) {
            packets += s.unexportedPackets();
            bytes += s.unexportedBytes();
        }
        Count other = program.otherCounts().values().stream().reduce(Count.ZERO, Count::plus);
        return new Totals(flowsSeen, new Count(packets, bytes), records, states.size(), other, program.counters());
    }

    /** The flows in the table as of the last poll, largest byte count first. */
    public synchronized List<ActiveFlow> activeFlows() {
        List<ActiveFlow> out = new ArrayList<>(states.size());
        for (FlowState s : states.values()) {
            out.add(new ActiveFlow(s.key, s.packets, s.bytes, s.packets - s.previousPackets, s.bytes - s.previousBytes,
                    FlowClock.toInstant(s.firstNanos, wallOffset), FlowClock.toInstant(s.lastNanos, wallOffset), s.tcpFlags));
        }
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
            if (arena.scope().isAlive()) {
                batch.close();
                arena.close();
            }
        }
    }
}
