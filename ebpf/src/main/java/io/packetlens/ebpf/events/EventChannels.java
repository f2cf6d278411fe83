package io.packetlens.ebpf.events;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.MapSpec;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.Variable;
import io.packetlens.ebpf.features.Features;
import io.packetlens.ebpf.sys.Mmap;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The event channels of one kernel object built with packetlens_events.h, and the choice of
 * ring buffer or perf buffer for them, made before load. {@link #configure} picks the channel
 * (by feature probe: ring buffers exist since 5.8, or as forced by the configuration), then
 * edits the spec: for a perf buffer it turns every channel map ({@code PL_EVENTS(name, ...)},
 * recognised by its {@code name_lost} counter map) into a PERF_EVENT_ARRAY and sets the
 * {@code pl_events_perfbuf} constant, so the verifier keeps only the perf code path; for a ring
 * buffer it applies the configured ring size. After {@code spec.load()}, {@link #open} gives an
 * {@link EventSource} for one channel. Objects compiled with {@code -DPL_USE_PERFBUF} or
 * {@code -DPL_USE_RINGBUF} have their channel fixed at build time; forcing the other one fails.
 */
public final class EventChannels {
    /** The .rodata constant of packetlens_events.h that selects the perf buffer path. */
    public static final String PERFBUF_FLAG = "pl_events_perfbuf";
    /** Suffix of a channel's loss counter map. */
    public static final String LOST_SUFFIX = "_lost";

    private final ChannelKind kind;
    private final List<String> channels;
    private final EventChannelConfig config;

    private EventChannels(ChannelKind kind, List<String> channels, EventChannelConfig config) {
        this.kind = kind;
        this.channels = channels;
        this.config = config;
    }

    /** Chooses the channel for every event map of {@code spec} and edits the spec accordingly (call before load). */
    public static EventChannels configure(ObjectSpec spec, EventChannelConfig config) {
        List<String> names = new ArrayList<>();
        for (MapSpec m : spec.maps().values()) {
            boolean eventsType = m.type() == MapType.RINGBUF || m.type() == MapType.PERF_EVENT_ARRAY;
            if (eventsType && spec.maps().containsKey(m.name() + LOST_SUFFIX)) names.add(m.name());
        }
        if (names.isEmpty()) {
            throw new BpfException.NotFoundException("object " + spec.name() + " declares no event channel (PL_EVENTS from packetlens_events.h)");
        }
        Variable flag = spec.variables().get(PERFBUF_FLAG);
        ChannelKind declared = spec.map(names.getFirst()).type() == MapType.RINGBUF ? ChannelKind.RING_BUFFER : ChannelKind.PERF_BUFFER;
        ChannelKind kind;
        if (flag == null) {
            // channel fixed at build time (-DPL_USE_RINGBUF / -DPL_USE_PERFBUF)
            kind = declared;
            ChannelKind forced = forced(config.mode());
            if (forced != null && forced != kind) {
                throw new BpfException("object " + spec.name() + " was built for the " + kind + " only (-DPL_USE_"
                        + (kind == ChannelKind.RING_BUFFER ? "RINGBUF" : "PERFBUF") + "), configuration asks for " + forced);
            }
            if (kind == ChannelKind.RING_BUFFER && !Features.hasMapType(MapType.RINGBUF)) {
                throw new BpfException("object " + spec.name() + " was built for the ring buffer only, which this kernel lacks (before 5.8); "
                        + "build it without -DPL_USE_RINGBUF to fall back to the perf buffer");
            }
        } else {
            ChannelKind forced = forced(config.mode());
            kind = forced != null ? forced : Features.hasMapType(MapType.RINGBUF) ? ChannelKind.RING_BUFFER : ChannelKind.PERF_BUFFER;
            flag.set(kind == ChannelKind.PERF_BUFFER ? 1 : 0);
        }
        for (String name : names) {
            MapSpec m = spec.map(name);
            if (kind == ChannelKind.PERF_BUFFER) {
                // max_entries 0: one slot per possible CPU (filled in at map creation)
                m.type(MapType.PERF_EVENT_ARRAY).keySize(4).valueSize(4).maxEntries(0).flags(0);
            } else if (config.ringBytes() > 0) {
                if (config.ringBytes() % Mmap.pageSize() != 0) {
                    throw new IllegalArgumentException("ring size " + config.ringBytes() + " is not a multiple of the page size " + Mmap.pageSize());
                }
                m.maxEntries(config.ringBytes());
            }
        }
        return new EventChannels(kind, Collections.unmodifiableList(names), config);
    }

    /** {@link #configure} with {@link EventChannelConfig#fromEnvironment()}. */
    public static EventChannels configure(ObjectSpec spec) {
        return configure(spec, EventChannelConfig.fromEnvironment());
    }

    private static ChannelKind forced(EventChannelConfig.Mode mode) {
        return switch (mode) {
            case AUTO -> null;
            case RING_BUFFER -> ChannelKind.RING_BUFFER;
            case PERF_BUFFER -> ChannelKind.PERF_BUFFER;
        };
    }

    /** The channel chosen for the object. */
    public ChannelKind kind() {
        return kind;
    }

    /** Names of the event maps found. */
    public List<String> channels() {
        return channels;
    }

    /** Starts reading channel {@code name} of the loaded object, handing each event to {@code handler}. */
    public EventSource open(BpfObject object, String name, EventHandler handler) {
        if (!channels.contains(name)) throw new BpfException.NotFoundException("no event channel '" + name + "' (channels: " + channels + ")");
        BpfMap events = object.map(name);
        BpfMap lost = object.map(name + LOST_SUFFIX);
        return switch (kind) {
            case RING_BUFFER -> new RingBufEventSource(events, lost, handler);
            case PERF_BUFFER -> new PerfEventSource(events, lost, config.perf(), handler);
        };
    }

    /** Starts reading the object's only channel. */
    public EventSource open(BpfObject object, EventHandler handler) {
        if (channels.size() != 1) throw new BpfException("object has " + channels.size() + " event channels " + channels + ": name one");
        return open(object, channels.getFirst(), handler);
    }

    @Override
    public String toString() {
        return "EventChannels[" + kind + " " + channels + "]";
    }
}
