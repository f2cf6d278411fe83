package io.packetlens.ebpf.events;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.perf.PerfBufferOptions;
import io.packetlens.ebpf.perf.PerfBufferReader;

/** An {@link EventSource} over a perf buffer. */
final class PerfEventSource extends ReaderEventSource {
    private final PerfBufferReader reader;

    PerfEventSource(BpfMap events, BpfMap lost, PerfBufferOptions options, EventHandler handler) {
        this(events, lost, options, PerfBufferReader.open(events, options, handler, null));
    }

    private PerfEventSource(BpfMap events, BpfMap lost, PerfBufferOptions options, PerfBufferReader reader) {
        super(events.name(), reader, lost, (long) options.ringBytes() * reader.cpus().length);
        this.reader = reader;
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
    public LossCounters losses() {
        return losses(reader.lostPerCpu());
    }
}
