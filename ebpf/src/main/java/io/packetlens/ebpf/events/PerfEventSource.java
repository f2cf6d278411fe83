package io.packetlens.ebpf.events;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.perf.PerfBufferOptions;
import io.packetlens.ebpf.perf.PerfBufferReader;

/** An {@link EventSource} over a perf buffer. */
final class PerfEventSource implements EventSource {
    private final String channel;
    private final PerfBufferReader reader;
    private final BpfMap lost;
    private final long capacity;
    private volatile long delivered;
    private volatile long peakBacklog;

    PerfEventSource(BpfMap events, BpfMap lost, PerfBufferOptions options, EventHandler handler) {
        this.channel = events.name();
        this.lost = lost;
        this.reader = PerfBufferReader.open(events, options, handler, null);
        this.capacity = options.ringBytes() * reader.cpus().length;
    }

    /** The underlying reader, for pause and resume. */
    PerfBufferReader reader() {
        return reader;
    }

    @Override
    public ChannelKind kind() {
        return ChannelKind.PERF_BUFFER;
    }

    @Override
    public int read(long timeoutMillis) {
        notePeak();
        return count(reader.read(timeoutMillis));
    }

    @Override
    public int poll() {
        notePeak();
        return count(reader.poll());
    }

    private void notePeak() {
        if (reader.isClosed()) return;
        long b = reader.backlogBytes();
        if (b > peakBacklog) peakBacklog = b;
    }

    private int count(int n) {
        if (n > 0) delivered += n;
        return n;
    }

    @Override
    public void wakeup() {
        reader.wakeup();
    }

    @Override
    public LossCounters losses() {
        long[][] c = LossMap.read(lost);
        long backlog = reader.isClosed() ? 0 : reader.backlogBytes();
        return new LossCounters(channel, kind(), delivered, c[LossMap.NO_SPACE], c[LossMap.NO_READER], c[LossMap.TOO_BIG],
                c[LossMap.OTHER], reader.lostPerCpu(), backlog, Math.max(peakBacklog, backlog), capacity);
    }

    @Override
    public void close() {
        reader.close();
    }
}
