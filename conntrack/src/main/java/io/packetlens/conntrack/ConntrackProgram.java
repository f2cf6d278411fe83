package io.packetlens.conntrack;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.events.EventChannels;
import io.packetlens.ebpf.events.EventSource;
import io.packetlens.ebpf.info.MonotonicClock;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The connection tracker (programs/src/main/bpf/conntrack.bpf.c) loaded, and its table read as {@link Connection}s.
 * Attach it at TC ingress and egress of an interface ({@link #attachTc}), which sees both directions of the host's
 * traffic there, or at XDP ({@link #attachXdp}), which sees what arrives only. Expired connections are removed by
 * {@link #expire()}, which the owner calls about once a second. Closing detaches everything and frees the table.
 */
public final class ConntrackProgram implements AutoCloseable {
    private final BpfObject object;
    private final ConntrackConfig config;
    private final List<Link> links = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment counterKey, counterValues, key, value;
    private final int counterStride = PerCpu.stride(8);

    private final EventChannels channels;

    private ConntrackProgram(BpfObject object, ConntrackConfig config, EventChannels channels) {
        this.object = object;
        this.config = config;
        this.channels = channels;
        this.counterKey = arena.allocate(4, 4);
        this.counterValues = arena.allocate(PerCpu.size(8), 8);
        this.key = arena.allocate(ConntrackLayout.Key.SIZE, 8);
        this.value = arena.allocate(ConntrackLayout.Entry.SIZE, 8);
    }

    /** The object as configured by {@code config}, not yet loaded. */
    public static ObjectSpec spec(ConntrackConfig config) {
        ObjectSpec spec = ObjectSpec.fromResource(ConntrackProgram.class, ConntrackLayout.OBJECT);
        spec.map(ConntrackLayout.TABLE).maxEntries(config.tableSize());
        spec.variable(ConntrackLayout.ZONE_IFINDEX).set(config.zoneByInterface());
        spec.variable(ConntrackLayout.TIMEOUTS).set(config.timeouts().kernelArray());
        spec.variable(ConntrackLayout.EVENTS_ON).set(config.events());
        return spec;
    }

    /** Loads the tracker: the table is created, nothing is attached yet. */
    public static ConntrackProgram load(ConntrackConfig config) {
        ObjectSpec spec = spec(config);
        // ct_events: a ring buffer, or a perf buffer on kernels without one
        EventChannels channels = EventChannels.configure(spec);
        return new ConntrackProgram(spec.load(), config, channels);
    }

    /**
     * Starts reading the kernel's connection events (loaded with {@link ConntrackConfig#events()}); the caller reads
     * the source on its own thread. Losses (ring full) are counted by the source.
     */
    public EventSource openEvents(Consumer<ConntrackEvent> handler) {
        if (!config.events()) throw new IllegalStateException("the tracker was loaded without events (ConntrackConfig.events)");
        return channels.open(object, ConntrackLayout.EVENTS, e -> handler.accept(ConntrackEvent.read(e)));
    }

    public ConntrackConfig config() {
        return config;
    }

    public BpfObject object() {
        return object;
    }

    /** The connection table, for programs that consult it (the guard's state rules) and for pinning. */
    public BpfMap table() {
        return object.map(ConntrackLayout.TABLE);
    }

    /**
     * Attaches at TC ingress and egress of {@code ifname}: both directions of everything the host sends and receives
     * there. If the second attachment fails the first is undone.
     */
    public synchronized List<Link> attachTc(String ifname) {
        Link in = TcLink.attach(object.program(ConntrackLayout.TC_INGRESS), ifname, TcDirection.INGRESS);
        try {
            Link out = TcLink.attach(object.program(ConntrackLayout.TC_EGRESS), ifname, TcDirection.EGRESS);
            links.add(in);
            links.add(out);
            return List.of(in, out);
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Attaches at XDP of {@code ifname}: what arrives only (replies the host sends are not seen). */
    public synchronized Link attachXdp(String ifname, XdpMode mode) {
        Link l = XdpLink.attach(object.program(ConntrackLayout.XDP), ifname, mode);
        links.add(l);
        return l;
    }

    /** Every connection in the table now, expired or not. */
    public List<Connection> connections() {
        return connections(c -> true);
    }

    /** The connections {@code filter} accepts. */
    public List<Connection> connections(Predicate<Connection> filter) {
        List<Connection> out = new ArrayList<>();
        table().forEach((k, v) -> {
            Connection c = Connection.of(k, v);
            if (filter.test(c)) out.add(c);
        });
        return out;
    }

    /** Connections in the table (a walk of it). */
    public int entries() {
        int[] n = {0};
        table().forEach((k, v) -> n[0]++);
        return n[0];
    }

    /**
     * Removes the connections idle past their state's timeout and returns them. An entry is read again just before
     * its removal, so one a packet refreshed since the walk stays.
     */
    public synchronized List<Connection> expire() {
        long now = MonotonicClock.nanos();
        List<byte[]> stale = new ArrayList<>();
        table().forEach((k, v) -> {
            if (expired(k, v, now)) stale.add(k.asSlice(0, ConntrackLayout.Key.SIZE).toArray(ValueLayout.JAVA_BYTE));
        });
        List<Connection> gone = new ArrayList<>();
        BpfMap t = table();
        for (byte[] k : stale) {
            MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, k.length);
            if (!t.lookup(key, value) || !expired(key, value, MonotonicClock.nanos())) continue;
            Connection c = Connection.of(key, value);
            if (t.delete(key)) gone.add(c);
        }
        return gone;
    }

    private boolean expired(MemorySegment k, MemorySegment v, long now) {
        int proto = Byte.toUnsignedInt(k.get(ValueLayout.JAVA_BYTE, ConntrackLayout.Key.PROTO));
        ConnState state = ConnState.of(Byte.toUnsignedInt(v.get(ValueLayout.JAVA_BYTE, ConntrackLayout.Entry.STATE)));
        long last = v.get(ValueLayout.JAVA_LONG_UNALIGNED, ConntrackLayout.Entry.LAST_NS);
        return now - last > config.timeouts().of(proto, state).toNanos();
    }

    /** The table-wide counters, summed over CPUs. */
    public synchronized Map<ConntrackCounter, Long> counters() {
        Map<ConntrackCounter, Long> out = new EnumMap<>(ConntrackCounter.class);
        BpfMap m = object.map(ConntrackLayout.COUNTERS);
        for (ConntrackCounter c : ConntrackCounter.values()) {
            counterKey.set(ValueLayout.JAVA_INT, 0, c.ordinal());
            out.put(c, m.lookup(counterKey, counterValues) ? PerCpu.sumLongs(counterValues, 0, counterStride) : 0L);
        }
        return out;
    }

    /** Detaches every attachment; the table stays readable until {@link #close()}. */
    public synchronized void detach() {
        for (Link l : links.reversed()) l.close();
        links.clear();
    }

    @Override
    public synchronized void close() {
        detach();
        object.close();
        arena.close();
    }
}
