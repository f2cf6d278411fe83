package io.packetlens.ebpf.events;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.ringbuf.RingBufReader;
import io.packetlens.ebpf.sys.Cpus;

/** An {@link EventSource} over a BPF ring buffer. */
final class RingBufEventSource implements EventSource {
    private final String channel;
    private final RingBufReader reader;
    private final BpfMap lost;
    private final int capacity;
    private volatile long delivered;
    private volatile long peakBacklog;

    RingBufEventSource(BpfMap events, BpfMap lost, EventHandler handler) {
        this.channel = events.name();
        this.lost = lost;
        this.reader = RingBufReader.open(events, handler);
        this.capacity = events.maxEntries();
    }

    @Override
    public ChannelKind kind() {
        return ChannelKind.RING_BUFFER;
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
        if (n > 0) delivered += n; // one reading thread writes it
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
                c[LossMap.OTHER], new long[Cpus.possible()], backlog, Math.max(peakBacklog, backlog), capacity);
    }

    @Override
    public void close() {
        reader.close();
    }
}
