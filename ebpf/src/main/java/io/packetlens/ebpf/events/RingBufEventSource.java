package io.packetlens.ebpf.events;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.ebpf.ringbuf.RingBufReader;

/** An {@link EventSource} over a BPF ring buffer. */
final class RingBufEventSource extends ReaderEventSource {
    RingBufEventSource(BpfMap events, BpfMap lost, EventHandler handler) {
        super(events.name(), RingBufReader.open(events, handler), lost, events.maxEntries());
    }

    @Override
    public ChannelKind kind() {
        return ChannelKind.RING_BUFFER;
    }

    @Override
    public LossCounters losses() {
        return losses(new long[Cpus.possible()]); // a ring buffer has no perf-style lost records
    }
}
