package io.packetlens.conntrack;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.events.EventChannels;
import io.packetlens.ebpf.events.EventSource;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;

import java.util.ArrayList;
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
    private final ConntrackTable table;

    private final EventChannels channels;

    private ConntrackProgram(BpfObject object, ConntrackConfig config, EventChannels channels) {
        this.object = object;
        this.config = config;
        this.channels = channels;
        this.table = new ConntrackTable(object, config.timeouts());
    }

    /** The object as configured by {@code config}, not yet loaded. */
    public static ObjectSpec spec(ConntrackConfig config) {
        ObjectSpec spec = ObjectSpec.fromResource(ConntrackProgram.class, ConntrackLayout.OBJECT);
        ConntrackTable.configure(spec, config);
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
        return table.connections(filter);
    }

    /** Connections in the table (a walk of it). */
    public int entries() {
        return table.entries();
    }

    /** Removes the connections idle past their state's timeout and returns them ({@link ConntrackTable#expire()}). */
    public List<Connection> expire() {
        return table.expire();
    }

    /** The table-wide counters, summed over CPUs. */
    public Map<ConntrackCounter, Long> counters() {
        return table.counters();
    }

    /** Detaches every attachment; the table stays readable until {@link #close()}. */
    public synchronized void detach() {
        for (Link l : links.reversed()) l.close();
        links.clear();
    }

    @Override
    public synchronized void close() {
        detach();
        table.close();
        object.close();
    }
}
