package io.packetlens.monitor;

import io.packetlens.ebpf.link.Interfaces;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.flow.ActiveFlow;
import io.packetlens.flow.Count;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowAggregator;
import io.packetlens.flow.FlowClock;
import io.packetlens.flow.FlowConfig;
import io.packetlens.flow.FlowEvent;
import io.packetlens.flow.FlowEvents;
import io.packetlens.flow.FlowOrder;
import io.packetlens.flow.LiveFlow;
import io.packetlens.flow.FlowProgram;
import io.packetlens.monitor.alert.Alert;
import io.packetlens.monitor.alert.AlertEngine;
import io.packetlens.monitor.config.MonitorConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The flow monitor: the kernel flow program attached to the configured interfaces, the
 * aggregator polling its table, and what is built on each poll — per-label traffic totals,
 * alerts, and a {@link MonitorSnapshot} for the view and /metrics. Finished flows go to the
 * registered listeners (the JSON flow log, --json output). With {@link MonitorConfig#events()}
 * set, the program's events (new flows, TCP open/close, samples) go to the event listeners, on
 * the event reader's thread. Closing detaches, drains the table (every packet counted is
 * reported) and the event channel, and frees the kernel objects.
 */
public final class FlowMonitor implements AutoCloseable {
    private final MonitorConfig config;
    private final FlowProgram program;
    private final FlowAggregator aggregator;
    private final AlertEngine alerts;
    private final Map<Integer, String> ifNames = new HashMap<>();
    private final List<Consumer<FinishedFlow>> flowListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Alert>> alertListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<FlowEvent>> eventListeners = new CopyOnWriteArrayList<>();
    /** The event subscription, or null when no events are configured. */
    private final FlowEvents events;
    /**
     * Cumulative packets and bytes per label. Each flow keeps its label's counter in its
     * {@link LiveFlow#tag()}, so a poll costs one addition per flow that changed.
     */
    private final Map<TrafficLabels, LabelCount> traffic = new HashMap<>();
    private final FlowOrder viewOrder;
    private volatile MonitorSnapshot snapshot;
    private long lastPollNanos = -1;
    private boolean closed;

    /** With an automatic poll interval still open in {@code config}, the live one is taken (see {@link MonitorConfig#resolvePollInterval}). */
    public FlowMonitor(MonitorConfig config, FlowClock clock) {
        this(config, clock, 0);
    }

    /**
     * As {@link #FlowMonitor(MonitorConfig, FlowClock)}, with the flow program's debug prints on for the
     * {@link io.packetlens.ebpf.tracing.KernelDebugLog} of tag {@code debugTag} (0: off, compiled away).
     */
    public FlowMonitor(MonitorConfig config, FlowClock clock, int debugTag) {
        this.config = config.resolvePollInterval(true);
        // only the configured hook's programs: each entry point costs a verifier pass at load
        Set<FlowProgram.Hook> hooks = config.hook() == MonitorConfig.Hook.TC
                ? EnumSet.of(FlowProgram.Hook.TC_INGRESS, FlowProgram.Hook.TC_EGRESS) : EnumSet.of(FlowProgram.Hook.XDP);
        this.program = FlowProgram.load(FlowConfig.defaults().tableSize(config.tableSize())
                .events(config.events()).sampleEvery(config.sampleEvery()).hooks(hooks).pinDirectory(config.pinDirectory())
                .xdpSharing(config.xdpSharing()).debugTag(debugTag));
        FlowEvents ev = null;
        try {
            ev = config.events().isEmpty() ? null : FlowEvents.open(program, this::onEvent);
            FlowAggregator.Settings s = FlowAggregator.Settings.defaults()
                    .activeTimeout(this.config.activeTimeout()).idleTimeout(this.config.idleTimeout()).pollInterval(this.config.pollInterval());
            this.aggregator = new FlowAggregator(program, s, clock, this::onFinished);
            aggregator.onCounted(this::onCounted);
            this.alerts = AlertEngine.fromConfig(config.alerts(), a -> alertListeners.forEach(l -> l.accept(a)));
        } catch (RuntimeException e) {
            if (ev != null) ev.close();
            program.close();
            throw e;
        }
        this.events = ev;
        this.viewOrder = config.view().sortBy() == MonitorConfig.View.SortBy.PACKETS ? FlowOrder.PACKETS : FlowOrder.BYTES;
        this.snapshot = new MonitorSnapshot(Instant.now(), 0, List.of(), Map.of(), aggregator.totals(),
                program.flowTable().maxEntries(), 0);
    }

    public MonitorConfig config() {
        return config;
    }

    public FlowProgram program() {
        return program;
    }

    /** Attaches the flow program at XDP on an interface of the calling thread's network namespace. */
    public XdpLink attachXdp(String ifname, XdpMode mode) {
        if (config.pinDirectory() != null) throw new IllegalStateException("with pinned tables, attach with attach(netns, ifname)");
        synchronized (this) {
            XdpLink link = program.attachXdp(ifname, mode);
            ifNames.put(link.ifindex(), ifname);
            return link;
        }
    }

    /**
     * Attaches at the configured hook (XDP in the configured mode, or TC ingress and egress: tcx, or clsact on older
     * kernels) on an interface of the calling thread's network namespace, which is {@code netns} (null: the process's
     * own; the name only tells pinned links apart). With pinned tables each link is pinned, or taken over when an
     * earlier process pinned one there.
     */
    public synchronized List<Link> attach(String netns, String ifname) {
        int ifindex = Interfaces.index(ifname);
        List<Link> out = new java.util.ArrayList<>();
        if (config.hook() == MonitorConfig.Hook.TC) {
            out.add(program.attachPinned(FlowProgram.Hook.TC_INGRESS, netns, ifname, p -> TcLink.attach(p, ifname, TcDirection.INGRESS)));
            out.add(program.attachPinned(FlowProgram.Hook.TC_EGRESS, netns, ifname, p -> TcLink.attach(p, ifname, TcDirection.EGRESS)));
        } else {
            // alone, or in the interface's XDP chain (FlowConfig.xdpSharing: by default if it has one)
            out.add(program.attachXdpShared(netns, ifname, config.xdpMode()));
        }
        ifNames.put(ifindex, ifname);
        return out;
    }

    /** Attaches at the configured hook on every configured interface; on failure detaches what was attached. */
    public synchronized void attachConfigured() {
        try {
            for (String ifname : config.interfaces()) attach(null, ifname);
        } catch (RuntimeException e) {
            undoStart();
            throw e;
        }
    }

    /** After a failed start: detaches what this monitor attached and removes the pins it made (see {@link FlowProgram#undoStart()}). */
    public synchronized void undoStart() {
        program.undoStart();
    }

    public void onFinishedFlow(Consumer<FinishedFlow> listener) {
        flowListeners.add(listener);
    }

    /** Receives flow program events (only with {@link MonitorConfig#events()} set), on the event reader thread. */
    public void onEvent(Consumer<FlowEvent> listener) {
        eventListeners.add(listener);
    }

    /** The event subscription (delivered count, channel losses), or null when no events are configured. */
    public FlowEvents events() {
        return events;
    }

    private void onEvent(FlowEvent e) {
        for (Consumer<FlowEvent> l : eventListeners) {
            try {
                l.accept(e);
            } catch (RuntimeException x) {
                System.getLogger("packetlens.monitor").log(System.Logger.Level.WARNING, "event listener failed", x);
            }
        }
    }

    public void onAlert(Consumer<Alert> listener) {
        alertListeners.add(listener);
    }

    /** The interface name for a kernel ifindex as attached here, or {@code if<N>}. */
    public String interfaceName(int ifindex) {
        synchronized (ifNames) {
            return ifNames.getOrDefault(ifindex, "if" + ifindex);
        }
    }

    /** Called by the aggregator inside poll()/flush(), which hold the monitor's lock. */
    private void onFinished(FinishedFlow f) {
        for (Consumer<FinishedFlow> l : flowListeners) {
            try {
                l.accept(f);
            } catch (RuntimeException e) {
                System.getLogger("packetlens.monitor").log(System.Logger.Level.WARNING, "flow listener failed", e);
            }
        }
    }

    /** Called by the aggregator (under the monitor's lock) for each flow whose counts grew. */
    private void onCounted(LiveFlow f, long packets, long bytes) {
        LabelCount c = (LabelCount) f.tag();
        if (c == null) {
            c = traffic.computeIfAbsent(TrafficLabels.of(f.key(), interfaceName(f.key().ifindex())), l -> new LabelCount());
            f.tag(c);
        }
        c.packets += packets;
        c.bytes += bytes;
    }

    /** Reads the kernel table once, emits due records, evaluates alerts and publishes a new snapshot. */
    public synchronized MonitorSnapshot poll() {
        if (closed) return snapshot;
        long now = System.nanoTime();
        FlowAggregator.PollResult r = aggregator.poll();
        double seconds = lastPollNanos < 0 ? config.pollInterval().toNanos() / 1e9 : (now - lastPollNanos) / 1e9;
        lastPollNanos = now;
        if (!alerts.isEmpty()) {
            alerts.begin(Instant.now());
            aggregator.forEachChanged(f -> alerts.observe(f.key(), f.packetsLastInterval()));
            alerts.end(r.newFlows(), seconds);
        }
        return publish(aggregator.topFlows(config.view().top(), viewOrder), seconds);
    }

    private MonitorSnapshot publish(List<ActiveFlow> top, double seconds) {
        Map<TrafficLabels, Count> totals = new HashMap<>();
        traffic.forEach((l, c) -> totals.put(l, new Count(c.packets, c.bytes)));
        MonitorSnapshot s = new MonitorSnapshot(Instant.now(), seconds, top, Map.copyOf(totals),
                aggregator.totals(), program.flowTable().maxEntries(), alerts.fired());
        snapshot = s;
        return s;
    }

    public MonitorSnapshot snapshot() {
        return snapshot;
    }

    /**
     * Ends monitoring and publishes the final snapshot. Unpinned: detaches every program, then drains the table so that
     * every counted packet is reported as a finished flow. Pinned ({@link MonitorConfig#pinDirectory()}): polls once more
     * to report what is due and leaves the links attached and the tables counting for the next process; see
     * {@link #stopAndUnpin()} to end for good. Idempotent.
     */
    public synchronized MonitorSnapshot stop() {
        if (closed) return snapshot;
        if (program.pins() != null) {
            MonitorSnapshot s = poll();
            program.releaseLinks();
            if (events != null) events.close();
            closed = true;
            return s;
        }
        return stopAndDrain();
    }

    /**
     * Ends for good: detaches every link, pinned ones too, drains the table (every packet counted, by this process or
     * the ones before it, is reported) and removes the pins. Idempotent.
     */
    public synchronized MonitorSnapshot stopAndUnpin() {
        if (closed) return snapshot;
        MonitorSnapshot s = stopAndDrain();
        if (program.pins() != null) program.pins().remove();
        return s;
    }

    private MonitorSnapshot stopAndDrain() {
        program.detachAll();
        if (events != null) {
            try {
                events.awaitDrained(Duration.ofSeconds(1)); // hand over what the program sent before detaching
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            events.close();
        }
        aggregator.flush();
        MonitorSnapshot s = publish(List.of(), lastPollNanos < 0 ? 0 : (System.nanoTime() - lastPollNanos) / 1e9);
        closed = true;
        return s;
    }

    /** Packets and bytes counted under one label so far. */
    private static final class LabelCount {
        long packets, bytes;
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            if (events != null) events.close();
            aggregator.close();
            program.close();
        }
    }
}
