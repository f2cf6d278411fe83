package io.packetlens.ebpf.perf;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Mmap;
import io.packetlens.ebpf.sys.PerfEvent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One CPU's perf ring of BPF output samples: a {@code perf_event_open} event and its mapping,
 * a metadata page ({@code struct perf_event_mmap_page}: data_head written by the kernel,
 * data_tail by us) followed by a power-of-two data area. Records are
 * {@code struct perf_event_header} plus a body, 8-byte aligned; PERF_RECORD_SAMPLE carries
 * {@code u32 size} then the raw data, PERF_RECORD_LOST the number of samples dropped. A record
 * that runs past the end of the data area continues at its start, so such records are copied
 * into a reassembly buffer; all others are handed out in place.
 * <p>Ordering: data_head is read with acquire semantics (the kernel's {@code smp_wmb} before
 * publishing it pairs with this), data_tail is written with release semantics after the
 * records were read, so the kernel never overwrites what we are reading.
 */
final class PerfRing implements AutoCloseable {
    private static final VarHandle LONG = JAVA_LONG.varHandle();

    private final int cpu;
    private final Fd event;
    private final Arena arena;
    private final MemorySegment meta;
    private final MemorySegment data;
    private final MemorySegment reassembly;
    /** Read-only view of {@link #reassembly}, made once: what handlers see of a wrapped record. */
    private final MemorySegment reassembled;
    private final long size;
    private final long mask;
    private long tail;
    private volatile long lost;

    PerfRing(int cpu, PerfBufferOptions options) {
        this.cpu = cpu;
        long page = Mmap.pageSize();
        size = (long) options.pagesPerCpu() * page;
        mask = size - 1;
        int watermark = options.watermarkBytes() > 0 ? (int) Math.min(options.watermarkBytes(), size - page) : 0;
        if (options.watermarkBytes() > 0 && watermark <= 0) watermark = (int) (size / 2);
        event = PerfEvent.openBpfOutput(cpu, options.wakeupEvents(), watermark);
        arena = Arena.ofShared();
        try {
            MemorySegment all = Mmap.map(event.get(), 0, page + size, Mmap.PROT_READ | Mmap.PROT_WRITE, arena, "perf ring of CPU " + cpu);
            meta = all.asSlice(0, page);
            long dataOffset = meta.get(JAVA_LONG, PerfEvent.PAGE_DATA_OFFSET);
            data = all.asSlice(dataOffset == 0 ? page : dataOffset, size).asReadOnly();
            reassembly = arena.allocate(Math.min(size, 1 << 16), 8);
            reassembled = reassembly.asReadOnly();
            tail = (long) LONG.getAcquire(meta, PerfEvent.PAGE_DATA_TAIL);
        } catch (RuntimeException e) {
            arena.close();
            event.close();
            throw e;
        }
    }

    int cpu() {
        return cpu;
    }

    Fd event() {
        return event;
    }

    long size() {
        return size;
    }

    /** Samples the kernel reported lost in this ring (PERF_RECORD_LOST) so far. */
    long lost() {
        return lost;
    }

    long backlogBytes() {
        return (long) LONG.getAcquire(meta, PerfEvent.PAGE_DATA_HEAD) - tail;
    }

    /**
     * Hands up to {@code max} samples to {@code handler} and counts lost records, then commits
     * data_tail once. Returns the number of samples delivered.
     */
    int consume(SampleHandler handler, LostHandler lostHandler, int max) {
        long t = tail;
        int n = 0;
        try {
            long head = (long) LONG.getAcquire(meta, PerfEvent.PAGE_DATA_HEAD);
            batch:
            while (t < head && n < max) {
                do {
                    long off = t & mask;
                    // headers never wrap: records are 8-byte aligned and the ring a multiple of 8
                    int type = data.get(JAVA_INT, off + PerfEvent.HEADER_TYPE);
                    int recSize = Short.toUnsignedInt(data.get(JAVA_SHORT, off + PerfEvent.HEADER_SIZE));
                    if (recSize < PerfEvent.HEADER_BYTES) {
                        throw new BpfException("corrupt perf ring on CPU " + cpu + ": record of " + recSize + " bytes at " + t);
                    }
                    // the record is read through (buf, base) rather than a slice of its own: one allocation
                    // site per sample (the view handed out), which the JIT can scalar-replace once inlined
                    MemorySegment buf;
                    long base;
                    if (off + recSize <= size) {
                        buf = data;
                        base = off;
                    } else {
                        long first = size - off;
                        MemorySegment.copy(data, off, reassembly, 0, first);
                        MemorySegment.copy(data, 0, reassembly, first, recSize - first);
                        buf = reassembled;
                        base = 0;
                    }
                    t += recSize;
                    if (type == PerfEvent.RECORD_SAMPLE) {
                        long raw = Math.min(Integer.toUnsignedLong(buf.get(JAVA_INT, base + PerfEvent.SAMPLE_RAW_SIZE)), recSize - PerfEvent.SAMPLE_RAW_DATA);
                        n++;
                        handler.onRecord(buf.asSlice(base + PerfEvent.SAMPLE_RAW_DATA, raw));
                        if (n >= max) break batch;
                    } else if (type == PerfEvent.RECORD_LOST) {
                        long count = buf.get(JAVA_LONG, base + PerfEvent.LOST_COUNT);
                        lost += count;
                        if (lostHandler != null) lostHandler.onLost(cpu, count);
                    }
                } while (t < head);
                head = (long) LONG.getAcquire(meta, PerfEvent.PAGE_DATA_HEAD);
            }
        } finally {
            if (t != tail) {
                tail = t;
                LONG.setRelease(meta, PerfEvent.PAGE_DATA_TAIL, t);
            }
        }
        return n;
    }

    void enable(boolean on) {
        PerfEvent.ioctl(event, on ? PerfEvent.IOC_ENABLE : PerfEvent.IOC_DISABLE);
    }

    @Override
    public void close() {
        try {
            if (arena.scope().isAlive()) arena.close();
        } finally {
            event.close();
        }
    }
}
