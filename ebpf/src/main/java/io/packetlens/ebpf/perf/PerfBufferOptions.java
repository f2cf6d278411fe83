package io.packetlens.ebpf.perf;

import io.packetlens.ebpf.sys.Mmap;

/**
 * How a perf buffer is set up: ring size per CPU and when the kernel wakes the reader.
 * Waking per event ({@code wakeupEvents = 1}, libbpf's default) gives the lowest latency but
 * costs the producer an interrupt-driven wakeup per record; a watermark lets the kernel write
 * at full speed and wake the reader only when that many bytes are pending, and the reader's
 * read timeout bounds how long a partial batch waits.
 *
 * @param pagesPerCpu    data pages in each CPU's ring (a power of two)
 * @param wakeupEvents   wake the reader every this many samples (used when watermarkBytes is 0)
 * @param watermarkBytes if positive, wake the reader when this many bytes are pending instead
 */
public record PerfBufferOptions(int pagesPerCpu, int wakeupEvents, int watermarkBytes) {
    public PerfBufferOptions {
        if (pagesPerCpu <= 0 || Integer.bitCount(pagesPerCpu) != 1) {
            throw new IllegalArgumentException("pagesPerCpu must be a power of two, not " + pagesPerCpu);
        }
        if (wakeupEvents < 1 && watermarkBytes <= 0) throw new IllegalArgumentException("wake up on events (>= 1) or on a watermark (> 0)");
        if (watermarkBytes < 0) throw new IllegalArgumentException("negative watermark");
    }

    /** 64 pages per CPU, woken when a quarter of the ring is pending. */
    public static PerfBufferOptions defaults() {
        return new PerfBufferOptions(64, 1, 0).watermarkFraction(4);
    }

    /** libbpf's perf_buffer setup: the reader is woken for every sample. */
    public static PerfBufferOptions wakeupPerEvent(int pagesPerCpu) {
        return new PerfBufferOptions(pagesPerCpu, 1, 0);
    }

    /** A different ring size; a watermark is scaled with it, so it stays the same fraction of the ring. */
    public PerfBufferOptions pagesPerCpu(int pages) {
        long mark = watermarkBytes == 0 ? 0 : Math.max(1, (long) watermarkBytes * pages / pagesPerCpu);
        return new PerfBufferOptions(pages, wakeupEvents, (int) Math.min(Integer.MAX_VALUE, mark));
    }

    public PerfBufferOptions wakeupEvents(int n) {
        return new PerfBufferOptions(pagesPerCpu, n, 0);
    }

    public PerfBufferOptions watermarkBytes(int bytes) {
        return new PerfBufferOptions(pagesPerCpu, wakeupEvents, bytes);
    }

    /** Wake when 1/{@code divisor} of the ring (at its current size) is pending. */
    public PerfBufferOptions watermarkFraction(int divisor) {
        return watermarkBytes((int) Math.max(1, ringBytes() / divisor));
    }

    /** Bytes of data in each CPU's ring. */
    public long ringBytes() {
        return (long) pagesPerCpu * Mmap.pageSize();
    }
}
