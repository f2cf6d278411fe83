package io.packetlens.ebpf.events;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.EpollReader;

/**
 * What the ring-buffer and perf-buffer event sources share: delegating reads to an
 * {@link EpollReader}, counting delivered records, tracking the peak reader backlog, and
 * building {@link LossCounters} from the channel's per-CPU loss map.
 */
abstract class ReaderEventSource implements EventSource {
    private final String channel;
    private final EpollReader reader;
    private final BpfMap lost;
    private final long capacity;
    private volatile long delivered;
    private volatile long peakBacklog;

    ReaderEventSource(String channel, EpollReader reader, BpfMap lost, long capacity) {
        this.channel = channel;
        this.reader = reader;
        this.lost = lost;
        this.capacity = capacity;
    }

    @Override
    public final int read(long timeoutMillis) {
        notePeak();
        return count(reader.read(timeoutMillis));
    }

    @Override
    public final int poll() {
        notePeak();
        return count(reader.poll());
    }

    private void notePeak() {
        if (reader.isClosed()) return;
        long b = reader.backlogBytes();
        if (b > peakBacklog) peakBacklog = b;
    }

    private int count(int n) {
        if (n > 0) delivered += n; // one reading thread writes it
        return n;
    }

    @Override
    public final void wakeup() {
        reader.wakeup();
    }

    /** Loss counters, with the channel's own per-CPU count of records the kernel dropped before the reader (perf). */
    final LossCounters losses(long[] readerLostPerCpu) {
        long[][] c = LossMap.read(lost);
        long backlog = reader.isClosed() ? 0 : reader.backlogBytes();
        return new LossCounters(channel, kind(), delivered, c[LossMap.NO_SPACE], c[LossMap.NO_READER], c[LossMap.TOO_BIG],
                c[LossMap.OTHER], readerLostPerCpu, backlog, Math.max(peakBacklog, backlog), capacity);
    }

    @Override
    public final void close() {
        reader.close();
    }
}
