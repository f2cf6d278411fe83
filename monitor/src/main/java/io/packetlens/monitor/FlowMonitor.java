package io.packetlens.monitor;

import io.packetlens.ebpf.BpfException;
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
import io.packetlens.flow.FlowPins;
import io.packetlens.flow.FlowProgram;
import io.packetlens.flow.FlowSource;
import io.packetlens.flow.PacketFlows;
import io.packetlens.monitor.alert.Alert;
import io.packetlens.monitor.alert.AlertEngine;
import io.packetlens.monitor.config.MonitorConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 *
 * <p>When the flow program cannot be loaded (no CAP_BPF, a kernel without what it needs, a verifier rejection) or
 * attached (an XDP hook another program holds ...), and {@link MonitorConfig#fallback()} allows it, the monitor says
 * so loudly (a WARNING naming the original error and what is lost) and counts the same flows from AF_PACKET rings in
 * Java instead ({@link PacketFlows}): the aggregator reads that table as it reads the kernel's, so records, snapshots,
 * metrics and exporters are unchanged, with records marked fallback and {@link MonitorSnapshot#fallback()} saying
 * why. The monitor falls back as a whole: a kernel attach that fails on a later interface takes back the earlier
 * ones and attaches all of them again in fallback. Without fallback, the original error is thrown, as before.
 */
public final class FlowMonitor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("packetlens.monitor");
    private final MonitorConfig config;
    private final FlowClock clock;
    /** The kernel program, or null in fallback. */
    private FlowProgram program;
    /** The AF_PACKET fallback, or null while the kernel program counts. */
    private PacketFlows fallback;
    /** Why the monitor fell back (the original error), or null. */
    private String fallbackReason;
    private FlowAggregator aggregator;
    /** Interfaces attached so far (netns or null, name), to attach again in fallback. */
    private final List<String[]> attached = new ArrayList<>();
    private final AlertEngine alerts;
    private final Map<Integer, String> ifNames = new HashMap<>();
    private final List<Consumer<FinishedFlow>> flowListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Alert>> alertListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<FlowEvent>> eventListeners = new CopyOnWriteArrayList<>();
    /** The event subscription, or null when no events are configured (or in fallback). */
    private FlowEvents events;
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
        this.clock = clock;
        this.alerts = AlertEngine.fromConfig(config.alerts(), a -> alertListeners.forEach(l -> l.accept(a)));
        FlowConfig fc = flowConfig(config, debugTag);
        try {
            this.program = FlowProgram.load(fc);
        } catch (BpfException e) {
            if (!fallsBackOn(e)) throw e;
            startFallback("the flow program could not be loaded: " + e.getMessage());
        }
        if (program != null) {
            try {
                events = config.events().isEmpty() ? null : FlowEvents.open(program, this::onEvent);
                aggregator = newAggregator(program);
            } catch (RuntimeException e) {
                if (events != null) events.close();
                program.close();
                throw e;
            }
        }
        this.viewOrder = config.view().sortBy() == MonitorConfig.View.SortBy.PACKETS ? FlowOrder.PACKETS : FlowOrder.BYTES;
        this.snapshot = new MonitorSnapshot(Instant.now(), 0, List.of(), Map.of(), aggregator.totals(), source().tableCapacity(), 0,
                fallbackReason);
    }

    /** The flow program's configuration: only the configured hook's entry points (each costs a verifier pass at load). */
    private static FlowConfig flowConfig(MonitorConfig config, int debugTag) {
        Set<FlowProgram.Hook> hooks = config.hook() == MonitorConfig.Hook.TC
                ? EnumSet.of(FlowProgram.Hook.TC_INGRESS, FlowProgram.Hook.TC_EGRESS) : EnumSet.of(FlowProgram.Hook.XDP);
        return FlowConfig.defaults().tableSize(config.tableSize()).events(config.events()).sampleEvery(config.sampleEvery())
                .hooks(hooks).pinDirectory(config.pinDirectory()).xdpSharing(config.xdpSharing()).debugTag(debugTag)
                .decapsulation(config.decapsulation());
    }

    private FlowAggregator newAggregator(FlowSource source) {
        FlowAggregator.Settings s = FlowAggregator.Settings.defaults()
                .activeTimeout(config.activeTimeout()).idleTimeout(config.idleTimeout()).pollInterval(config.pollInterval());
        FlowAggregator a = new FlowAggregator(source, s, clock, this::onFinished);
        a.onCounted(this::onCounted);
        return a;
    }

    /**
     * Whether a failure of the flow program is one the fallback can stand in for: a kernel refusal of loading or
     * attaching, not a missing interface (the fallback could not watch it either) nor pinned tables this version must
     * not use (the user's decision).
     */
    private boolean fallsBackOn(BpfException e) {
        return config.fallback() && !(e instanceof BpfException.NotFoundException && e.getMessage().contains("network interface"))
                && !(e instanceof FlowPins.MismatchException);
    }

    /** Switches to counting from AF_PACKET, saying loudly why and what that costs. */
    private void startFallback(String why) {
        fallbackReason = why;
        fallback = new PacketFlows(flowConfig(config, 0), clock);
        aggregator = newAggregator(fallback);
        LOG.log(System.Logger.Level.WARNING, why + System.lineSeparator()
                + "  FALLING BACK to AF_PACKET: every frame is copied into a TPACKET_V3 ring and counted in Java. Flow records and"
                + " metrics are the same, marked fallback (packetlens_flows_fallback 1). What is lost: counting in the kernel"
                + " (CPU per packet rises), kernel events" + (config.events().isEmpty() ? "" : " (the configured events are off)")
                + (config.pinDirectory() != null ? ", pinning (nothing outlives this process)" : "")
                + "; frames the ring has no room for are dropped and counted (packetlens_fallback_ring_drops_total)."
                + " --no-fallback (flows.fallback: false) fails instead.");
    }

    /** What the aggregator reads: the kernel program, or the fallback. */
    public FlowSource source() {
        return program != null ? program : fallback;
    }

    /** Whether the monitor counts from AF_PACKET instead of the kernel program. */
    public boolean fallback() {
        return fallback != null;
    }

    /** Why the monitor fell back (the flow program's original error), or null. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** The AF_PACKET fallback, or null while the kernel program counts. */
    public PacketFlows fallbackFlows() {
        return fallback;
    }

    public MonitorConfig config() {
        return config;
    }

    /** The kernel program, or null in fallback ({@link #fallback()}). */
    public FlowProgram program() {
        return program;
    }

    /** Attaches the flow program at XDP on an interface of the calling thread's network namespace (no fallback). */
    public XdpLink attachXdp(String ifname, XdpMode mode) {
        if (config.pinDirectory() != null) throw new IllegalStateException("with pinned tables, attach with attach(netns, ifname)");
        if (program == null) throw new IllegalStateException("in fallback there is no flow program to attach: attach(netns, ifname)");
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
        if (program != null) {
            try {
                if (config.hook() == MonitorConfig.Hook.TC) {
                    out.add(program.attachPinned(FlowProgram.Hook.TC_INGRESS, netns, ifname, p -> TcLink.attach(p, ifname, TcDirection.INGRESS)));
                    out.add(program.attachPinned(FlowProgram.Hook.TC_EGRESS, netns, ifname, p -> TcLink.attach(p, ifname, TcDirection.EGRESS)));
                } else {
                    // alone, or in the interface's XDP chain (FlowConfig.xdpSharing: by default if it has one)
                    out.add(program.attachXdpShared(netns, ifname, config.xdpMode()));
                }
            } catch (BpfException e) {
                if (!fallsBackOn(e)) throw e;
                switchToFallback("the flow program could not be attached to " + (netns == null ? "" : netns + "/") + ifname + ": "
                        + e.getMessage());
                out.clear();
            }
        }
        if (program == null) {
            try {
                fallback.attach(ifname);
            } catch (RuntimeException e) {
                throw new BpfException("the AF_PACKET fallback could not start on " + ifname + " either: " + e.getMessage()
                        + " (the fallback was needed because " + fallbackReason + ")", e);
            }
        }
        attached.add(new String[] {netns, ifname});
        ifNames.put(ifindex, ifname);
        return out;
    }

    /**
     * After a kernel attach failed: takes back what the program attached (and pinned), frees it, and counts from
     * AF_PACKET on every interface attached so far (each in its own network namespace). Before any poll, so nothing
     * the kernel counted is lost: the attach is part of the start.
     */
    private void switchToFallback(String why) {
        try {
            program.undoStart();
        } finally {
            if (events != null) events.close();
            events = null;
            aggregator.close();
            program.close();
            program = null;
        }
        startFallback(why);
        for (String[] i : attached) {
            if (i[0] == null) {
                fallback.attach(i[1]);
                continue;
            }
            try {
                io.packetlens.ebpf.netns.NetworkNamespace.of(i[0]).call(() -> {
                    fallback.attach(i[1]);
                    return null;
                });
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("fallback attach on " + i[0] + "/" + i[1] + ": " + e.getMessage(), e);
            }
        }
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
        if (program != null) program.undoStart();
        else fallback.detachAll();
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
                aggregator.totals(), source().tableCapacity(), alerts.fired(), fallbackReason);
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
        if (program != null && program.pins() != null) {
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
        if (program != null && program.pins() != null) program.pins().remove();
        return s;
    }

    private MonitorSnapshot stopAndDrain() {
        if (program != null) program.detachAll();
        else fallback.detachAll(); // counts what the rings still hold
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
            if (program != null) program.close();
            if (fallback != null) fallback.close();
        }
    }
}
