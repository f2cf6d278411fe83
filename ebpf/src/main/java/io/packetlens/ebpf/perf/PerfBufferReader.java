package io.packetlens.ebpf.perf;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.EpollReader;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.cpu.Cpus;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Reads a perf buffer ({@code BPF_MAP_TYPE_PERF_EVENT_ARRAY}) the way libbpf's
 * {@code perf_buffer} does: one BPF output event ({@code perf_event_open},
 * PERF_COUNT_SW_BPF_OUTPUT, PERF_SAMPLE_RAW) and mapped ring per online CPU, each event's fd
 * stored in the map at its CPU's index so {@code bpf_perf_event_output(..., BPF_F_CURRENT_CPU, ...)}
 * finds it, all rings in one epoll set. When the reader is woken is set by
 * {@link PerfBufferOptions}: per event, or on a byte watermark (the read timeout then bounds how
 * long a partial batch waits). Samples the kernel could not write are reported per CPU by
 * PERF_RECORD_LOST and counted here; {@link #pause()} and {@link #resume()} disable and enable
 * the events (PERF_EVENT_IOC_DISABLE / ENABLE). Closing removes the map entries.
 * <p>Samples are delivered either as a view per sample ({@link SampleHandler}) or, allocating
 * nothing, as an offset and length in the ring's data area ({@link RawSampleHandler}); the first
 * is the second plus an {@code asSlice}.
 */
public final class PerfBufferReader extends EpollReader {
    private final BpfMap map;
    private final PerfBufferOptions options;
    private final RawSampleHandler handler;
    private final LostHandler lostHandler;
    private final PerfRing[] rings;
    private final int[] cpus;
    private final int possibleCpus;

    private PerfBufferReader(BpfMap map, PerfBufferOptions options, RawSampleHandler handler, LostHandler lostHandler) {
        super(Math.max(8, Cpus.online().length + 1));
        this.map = map;
        this.options = options;
        this.handler = handler;
        this.lostHandler = lostHandler;
        this.cpus = Cpus.online();
        this.rings = new PerfRing[cpus.length];
        this.possibleCpus = Cpus.possible();
    }

    /** Opens a ring per online CPU for {@code map} with {@link PerfBufferOptions#defaults()}. */
    public static PerfBufferReader open(BpfMap map, SampleHandler handler) {
        return open(map, PerfBufferOptions.defaults(), handler, null);
    }

    /** Opens a ring per online CPU for {@code map}; {@code lostHandler} (may be null) hears of each PERF_RECORD_LOST. */
    public static PerfBufferReader open(BpfMap map, PerfBufferOptions options, SampleHandler handler, LostHandler lostHandler) {
        Objects.requireNonNull(handler, "handler");
        return open(map, options, (cpu, area, offset, length) -> handler.onRecord(area.asSlice(offset, length)), lostHandler);
    }

    /** {@link #open(BpfMap, PerfBufferOptions, RawSampleHandler, LostHandler)} with {@link PerfBufferOptions#defaults()} and no lost handler. */
    public static PerfBufferReader open(BpfMap map, RawSampleHandler handler) {
        return open(map, PerfBufferOptions.defaults(), handler, null);
    }

    /**
     * Opens a ring per online CPU for {@code map}, delivering each sample to {@code handler} as an
     * offset and length in a segment, with no allocation per sample; {@code lostHandler} (may be
     * null) hears of each PERF_RECORD_LOST.
     */
    public static PerfBufferReader open(BpfMap map, PerfBufferOptions options, RawSampleHandler handler, LostHandler lostHandler) {
        Objects.requireNonNull(handler, "handler");
        if (map.type() != MapType.PERF_EVENT_ARRAY) throw new BpfException("map " + map.name() + " is " + map.type() + ", not a PERF_EVENT_ARRAY");
        PerfBufferReader r = new PerfBufferReader(map, options, handler, lostHandler);
        try {
            r.setUp();
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private void setUp() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            MemorySegment value = arena.allocate(JAVA_INT);
            for (int i = 0; i < cpus.length; i++) {
                int cpu = cpus[i];
                if (cpu >= map.maxEntries()) {
                    throw new BpfException("map " + map.name() + " has " + map.maxEntries() + " entries, CPU " + cpu + " is online");
                }
                PerfRing ring = new PerfRing(cpu, options);
                rings[i] = ring;
                watch(ring.event().get(), i);
                key.set(JAVA_INT, 0, cpu);
                value.set(JAVA_INT, 0, ring.event().get());
                map.update(key, value);
            }
        }
    }

    public PerfBufferOptions options() {
        return options;
    }

    /** The CPUs read (the online CPUs when opened). */
    public int[] cpus() {
        return cpus.clone();
    }

    /** Samples the kernel reported lost (PERF_RECORD_LOST) on {@code cpu} so far. */
    public long lost(int cpu) {
        for (PerfRing r : rings) if (r != null && r.cpu() == cpu) return r.lost();
        return 0;
    }

    /** Lost samples per possible CPU (index = CPU id). */
    public long[] lostPerCpu() {
        long[] out = new long[possibleCpus];
        for (PerfRing r : rings) if (r != null) out[r.cpu()] = r.lost();
        return out;
    }

    public long lostTotal() {
        long sum = 0;
        for (long l : lostPerCpu()) sum += l;
        return sum;
    }

    /** Bytes written by the kernel and not yet consumed, over all CPUs. */
    public long backlogBytes() {
        long sum = 0;
        for (PerfRing r : rings) if (r != null) sum += r.backlogBytes();
        return sum;
    }

    /** Bytes pending per possible CPU (index = CPU id). */
    public long[] backlogPerCpu() {
        long[] out = new long[possibleCpus];
        for (PerfRing r : rings) if (r != null) out[r.cpu()] = r.backlogBytes();
        return out;
    }

    /** Stops the kernel writing samples (they fail in the program, which counts them); records already written stay readable. */
    public synchronized void pause() {
        ensureOpen();
        for (PerfRing r : rings) r.enable(false);
    }

    /** Lets the kernel write samples again. */
    public synchronized void resume() {
        ensureOpen();
        for (PerfRing r : rings) r.enable(true);
    }

    @Override
    protected int ringCount() {
        return rings.length;
    }

    @Override
    protected int consumeRing(int index, int maxRecords) {
        return rings[index].consume(handler, lostHandler, maxRecords);
    }

    @Override
    protected void releaseRings() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            for (PerfRing r : rings) {
                if (r == null) continue;
                try {
                    key.set(JAVA_INT, 0, r.cpu());
                    // the map holds a reference to the event: without this the kernel keeps writing into a ring nobody reads
                    map.delete(key);
                } catch (BpfException e) {
                    if (e.errno() != 0) throw e; // errno 0: the map was closed first, and its entries with it
                } finally {
                    r.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "PerfBufferReader[" + map.name() + " cpus=" + cpus.length + " " + options + "]";
    }
}
