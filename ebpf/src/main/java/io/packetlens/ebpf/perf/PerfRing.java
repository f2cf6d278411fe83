package io.packetlens.ebpf.perf;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Mmap;
import io.packetlens.ebpf.sys.PerfEvent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One CPU's perf ring of BPF output samples: a {@code perf_event_open} event and its mapping,
 * a metadata page ({@code struct perf_event_mmap_page}: data_head written by the kernel,
 * data_tail by us) followed by a power-of-two data area. Records are
 * {@code struct perf_event_header} plus a body, 8-byte aligned; PERF_RECORD_SAMPLE carries
 * {@code u32 size} then the raw data, PERF_RECORD_LOST the number of samples dropped. A record
 * that runs past the end of the data area continues at its start, so such records are copied
 * into a reassembly buffer; all others are handed out in place. Samples go to a
 * {@link RawSampleHandler} as (segment, offset, length) within one of those two segments, so
 * delivery allocates nothing.
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
    private final MemorySegment reassemblyView;
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
            reassemblyView = reassembly.asReadOnly();
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
    int consume(RawSampleHandler handler, LostHandler lostHandler, int max) {
        // headers read from, and samples handed out in, the same segment (see RingBuf.consume)
        if (max <= 0) return 0;
        final MemorySegment ring = this.data;
        final long mask = this.mask, size = this.size;
        final int cpu = this.cpu;
        long t = tail;
        int n = 0;
        try {
            long head = (long) LONG.getAcquire(meta, PerfEvent.PAGE_DATA_HEAD);
            while (t < head) {
                do {
                    long off = t & mask;
                    // struct perf_event_header as one word: u32 type, u16 misc, u16 size. Headers never
                    // wrap: records are 8-byte aligned and the ring a multiple of 8.
                    long word = ring.get(JAVA_LONG, off);
                    int type = (int) word;
                    int recSize = (int) (word >>> 48);
                    if (recSize < PerfEvent.HEADER_BYTES) {
                        throw new BpfException("corrupt perf ring on CPU " + cpu + ": record of " + recSize + " bytes at " + t);
                    }
                    t += recSize;
                    if (off + recSize > size) {
                        // runs past the end of the ring (rare): handled out of line, keeping this loop on one segment
                        if (wrapped(off, recSize, type, handler, lostHandler) && ++n == max) return n;
                    } else if (type == PerfEvent.RECORD_SAMPLE) {
                        // with PERF_SAMPLE_RAW alone the record is header, u32 size, then exactly size bytes
                        // (the kernel pads size to keep records 8-byte aligned), so the record size says it all
                        handler.onSample(cpu, ring, off + PerfEvent.SAMPLE_RAW_DATA, recSize - PerfEvent.SAMPLE_RAW_DATA);
                        if (++n == max) return n;
                    } else if (type == PerfEvent.RECORD_LOST) {
                        onLost(ring.get(JAVA_LONG, off + PerfEvent.LOST_COUNT), lostHandler);
                    }
                } while (t < head);
                head = (long) LONG.getAcquire(meta, PerfEvent.PAGE_DATA_HEAD);
            }
            return n;
        } finally {
            if (t != tail) {
                tail = t;
                LONG.setRelease(meta, PerfEvent.PAGE_DATA_TAIL, t);
            }
        }
    }

    /** A record that runs past the end of the ring: copied together, then delivered; true if it was a sample. */
    private boolean wrapped(long off, int recSize, int type, RawSampleHandler handler, LostHandler lostHandler) {
        long first = size - off;
        MemorySegment.copy(data, off, reassembly, 0, first);
        MemorySegment.copy(data, 0, reassembly, first, recSize - first);
        if (type == PerfEvent.RECORD_SAMPLE) {
            handler.onSample(cpu, reassemblyView, PerfEvent.SAMPLE_RAW_DATA, recSize - PerfEvent.SAMPLE_RAW_DATA);
            return true;
        }
        if (type == PerfEvent.RECORD_LOST) onLost(reassemblyView.get(JAVA_LONG, PerfEvent.LOST_COUNT), lostHandler);
        return false;
    }

    private void onLost(long count, LostHandler lostHandler) {
        lost += count;
        if (lostHandler != null) lostHandler.onLost(cpu, count);
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
