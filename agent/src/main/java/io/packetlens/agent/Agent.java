package io.packetlens.agent;

import io.packetlens.agent.metrics.MetricsServer;
import io.packetlens.ebpf.tracing.KernelDebugLog;
import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSpec;
import io.packetlens.export.ExporterStats;
import io.packetlens.flow.EventKind;
import io.packetlens.flow.FlowClock;
import io.packetlens.flow.FlowEvent;
import io.packetlens.monitor.FlowMonitor;
import io.packetlens.monitor.alert.Alert;
import io.packetlens.monitor.config.MonitorConfig;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The packetlens agent: one process running every part its {@link AgentConfig} names, and owning their lifecycle. It
 * starts the exporters (each on its own thread behind a bounded queue), loads the flow program, serves /metrics, and
 * attaches last, so that a failure anywhere leaves nothing attached. {@link #runUntil} polls the flow table on the
 * caller's thread and hands finished records to every exporter without waiting for any of them. {@link #stop()} goes in
 * order: detach, drain the tables, flush the exporters; with pinned kernel objects it leaves them attached and counting
 * for the next agent instead. {@link #snapshot()} is the read model every output reads.
 */
public final class Agent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("packetlens.agent");
    /** Event kinds subscribed to when an exporter wants events and the configuration names none. */
    private static final EnumSet<EventKind> DEFAULT_EVENTS = EnumSet.of(EventKind.NEW_FLOW, EventKind.TCP);

    /** Told what the agent does; called on the agent's threads, so keep it short. */
    public interface Listener {
        /** After every poll (on the polling thread). */
        default void polled(AgentSnapshot snapshot) {}

        /** An alert fired (on the polling thread). */
        default void alert(Alert alert) {}

        /** A flow program event (on the event reader's thread); only with events configured. */
        default void event(FlowEvent event) {}
    }

    private final AgentConfig config;
    private final Listener listener;
    private final List<ExporterRunner> runners = new ArrayList<>();
    private final List<ExporterRunner> eventRunners = new ArrayList<>();
    private FlowMonitor monitor;
    private GuardPart guard;
    private ConntrackPart conntrack;
    private ConntrackSnapshot finalConntrack;
    /** The guard's last snapshot once it was let go at stop (its maps are closed then). */
    private GuardSnapshot finalGuard;
    private MetricsServer metrics;
    /** With {@code debug-kernel}: the reader of packetlens's programs' debug prints, started before they load. */
    private KernelDebugLog debugLog;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private volatile boolean stopRequested;
    private AgentSnapshot last;
    private boolean stopped;

    private Agent(AgentConfig config, Listener listener) {
        this.config = Objects.requireNonNull(config);
        this.listener = Objects.requireNonNull(listener);
    }

    /**
     * Starts everything {@code config} names and attaches to its interfaces; on any failure, undoes what it did and
     * throws. The poll interval must be decided ({@link MonitorConfig#resolvePollInterval}).
     */
    public static Agent start(AgentConfig config, Listener listener) {
        if (!config.runsFlows() && config.guard() == null && config.conntrack() == null) {
            throw new IllegalArgumentException("nothing to run: no interface to watch, no guard and no connection tracker");
        }
        Agent a = new Agent(config, listener);
        try {
            a.open();
            return a;
        } catch (RuntimeException | Error e) {
            a.abort();
            throw e;
        }
    }

    private void open() {
        // first, so that the programs' first prints (at load and attach) are read
        if (config.debugKernel()) debugLog = KernelDebugLog.start();
        int debugTag = debugLog == null ? 0 : debugLog.tag();
        for (ExporterSpec spec : config.exporters()) {
            ExporterRunner r = spec.start(new ExportContext(this::interfaceName, config.observationDomain()));
            runners.add(r);
            if (r.wantsEvents()) eventRunners.add(r);
        }
        GuardConfig gc = config.guard();
        List<InterfaceSpec> guardInterfaces = gc == null ? List.of() : gc.interfacesOr(config.interfaces());
        // both at XDP on one interface: the guard first in the interface's XDP chain, the flow monitor behind it
        boolean share = gc != null && config.runsFlows() && gc.hook() == io.packetlens.guard.GuardProgram.Hook.XDP
                && config.flows().hook() == MonitorConfig.Hook.XDP && guardInterfaces.stream().anyMatch(config.interfaces()::contains);
        if (gc != null) guard = GuardPart.load(gc, config.guardPin(), config.chainRoot(), debugTag);
        if (config.conntrack() != null) conntrack = ConntrackPart.load(config.conntrack());
        if (config.runsFlows()) {
            MonitorConfig mc = config.monitorConfig();
            io.packetlens.flow.XdpSharing sharing = share && mc.xdpSharing().policy() == io.packetlens.flow.XdpSharing.Policy.AUTO
                    ? io.packetlens.flow.XdpSharing.CHAIN : mc.xdpSharing();
            // the agent's chain root unless the flows section names one of its own
            boolean ownRoot = !sharing.chain().root().equals(io.packetlens.ebpf.link.XdpChain.DEFAULT_ROOT);
            mc = mc.withXdpSharing(ownRoot ? sharing : sharing.root(config.chainRoot()));
            if (mc.pollInterval() == null) mc = mc.resolvePollInterval(false);
            if (!eventRunners.isEmpty() && mc.events().isEmpty()) mc = mc.withEvents(DEFAULT_EVENTS, mc.sampleEvery());
            monitor = new FlowMonitor(mc, FlowClock.system(), debugTag);
            monitor.onFinishedFlow(this::offer);
            monitor.onEvent(e -> {
                for (ExporterRunner r : eventRunners) r.offer(e);
                listener.event(e);
            });
            monitor.onAlert(this::alert);
        }
        if (config.metrics() != null) {
            metrics = new MetricsServer(config.metrics(), this::snapshot);
            metrics.programStats(this::programIds, config.programStats());
            if (debugLog != null) metrics.kernelDebug(debugLog);
        }
        // the firewall first: in force before anything else runs on the interfaces
        if (guard != null) {
            guard.attach(guardInterfaces);
            LOG.log(System.Logger.Level.INFO, "guard attached to " + guardInterfaces + " (generation " + guard.program().generation()
                    + (guard.pinned() ? ", pinned: it stays in force when the agent ends" : ", process-scoped") + ")");
            if (gc.rulesFile() != null) Signals.onHangup(this::requestReload);
        }
        if (conntrack != null) {
            List<InterfaceSpec> on = config.conntrack().interfacesOr(config.interfaces());
            conntrack.attach(on);
            LOG.log(System.Logger.Level.INFO, "connection tracker attached to " + on + (config.conntrack().xdp() ? " at XDP" : " at TC ingress and egress"));
        }
        if (monitor != null) {
            for (InterfaceSpec i : config.interfaces()) attach(i);
            LOG.log(System.Logger.Level.INFO, (monitor.fallback() ? "AF_PACKET fallback counting on " : "attached to ") + config.interfaces()
                    + (monitor.program() != null && monitor.program().reusedTables()
                    ? ", carrying on with the tables pinned in " + monitor.program().pins().directory() : ""));
        }
        if (debugLog != null && pinned()) {
            LOG.log(System.Logger.Level.WARNING, "--debug-kernel with pinned programs: they keep their debug prints after this process "
                    + "ends, until a start without it replaces them (or they are removed: --unpin, guard stop)");
        }
        last = snapshot();
    }

    /** A finished record to every exporter (flow records and, from the connection tracker, bidirectional ones). */
    private void offer(io.packetlens.flow.FinishedFlow f) {
        for (ExporterRunner r : runners) r.offer(f);
    }

    /** The kernel ids of packetlens's programs in this agent: loaded objects and the XDP chain members made from them. */
    private synchronized List<Integer> programIds() {
        List<Integer> ids = new ArrayList<>();
        if (stopped) return ids; // the programs are gone or no longer this agent's
        if (monitor != null && monitor.program() != null) {
            monitor.program().object().programs().values().forEach(p -> ids.add(p.id()));
            for (var l : monitor.program().links()) if (l instanceof io.packetlens.ebpf.link.XdpChain.Member m) ids.add(m.programId());
        }
        if (guard != null) {
            guard.program().object().programs().values().forEach(p -> ids.add(p.id()));
            for (var l : guard.program().links()) if (l instanceof io.packetlens.ebpf.link.XdpChain.Member m) ids.add(m.programId());
        }
        if (conntrack != null) conntrack.program().object().programs().values().forEach(p -> ids.add(p.id()));
        return ids;
    }

    /** Reloads the guard's rules file at the next poll (SIGHUP does this), waking the loop. */
    public void requestReload() {
        if (guard == null) return;
        guard.requestReload();
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The guard, or null without one. */
    public io.packetlens.guard.GuardProgram guard() {
        return guard == null ? null : guard.program();
    }

    private void attach(InterfaceSpec i) {
        i.runIn("attach", () -> monitor.attach(i.netns(), i.name()));
    }

    /** Undoes a start that failed: what was attached or pinned here goes, exporters and /metrics stop. */
    private void abort() {
        try {
            if (monitor != null) {
                monitor.undoStart();
                monitor.close();
            }
            if (guard != null) guard.undoStart();
            if (conntrack != null) conntrack.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cleaning up after a failed start: " + e.getMessage());
        } finally {
            runners.forEach(ExporterRunner::close);
            if (metrics != null) metrics.close();
            if (debugLog != null) debugLog.close();
        }
    }

    private void alert(Alert a) {
        if (metrics != null) metrics.countAlert(a.rule());
        LOG.log(System.Logger.Level.WARNING, "alert " + a.rule() + " " + a.subject() + ": " + a.message());
        listener.alert(a);
    }

    public AgentConfig config() {
        return config;
    }

    /** The kernel debug log ({@code debug-kernel}), or null when it is off. */
    public KernelDebugLog kernelDebugLog() {
        return debugLog;
    }

    /** The flow monitor (its program, its table). */
    public FlowMonitor monitor() {
        return monitor;
    }

    /** The interface name for a kernel ifindex as attached here, or {@code if<N>}. */
    public String interfaceName(int ifindex) {
        FlowMonitor m = monitor;
        return m == null ? "if" + ifindex : m.interfaceName(ifindex);
    }

    /** The port /metrics is served on, or -1 when it is off. */
    public int metricsPort() {
        return metrics == null ? -1 : metrics.port();
    }

    /** Whether the kernel objects are pinned and outlive this process. */
    public boolean pinned() {
        boolean flowsPinned = config.pin() != null && (monitor == null || !monitor.fallback()); // the fallback pins nothing
        return flowsPinned || (guard != null && guard.pinned());
    }

    /** The read model now: the flow monitor's last poll and every exporter's counters. */
    public AgentSnapshot snapshot() {
        FlowMonitor m = monitor;
        List<ExporterStats> stats = runners.stream().map(ExporterRunner::stats).toList();
        GuardSnapshot g = guard == null ? null : stopped ? finalGuard : guard.snapshot();
        ConntrackSnapshot c = conntrack == null ? null : stopped ? finalConntrack : conntrack.snapshot();
        return new AgentSnapshot(Instant.now(), m == null ? null : m.snapshot(), stats, pinned(), g, c);
    }

    /**
     * Polls the flow table every poll interval until {@code deadlineNanos} ({@link System#nanoTime()}) or
     * {@link #requestStop()}, whichever comes first; returns the last snapshot. Does not stop the agent.
     */
    public AgentSnapshot runUntil(long deadlineNanos) throws InterruptedException {
        long interval = monitor != null ? monitor.config().pollInterval().toNanos() : 1_000_000_000L;
        long next = System.nanoTime() + interval;
        while (!stopRequested) {
            long now = System.nanoTime();
            if (now - deadlineNanos >= 0) break;
            if (now - next < 0) {
                await(Math.min(next - now, deadlineNanos - now));
                continue;
            }
            if (monitor != null) monitor.poll();
            if (guard != null) guard.tick();
            if (conntrack != null) conntrack.tick(this::offer);
            next = Math.max(next + interval, now + interval / 2);
            last = snapshot();
            listener.polled(last);
        }
        return last;
    }

    private void await(long nanos) throws InterruptedException {
        lock.lock();
        try {
            if (!stopRequested) wake.awaitNanos(nanos);
        } finally {
            lock.unlock();
        }
    }

    /** Asks {@link #runUntil} to return now (from a signal handler or another thread). */
    public void requestStop() {
        lock.lock();
        try {
            stopRequested = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean stopRequested() {
        return stopRequested;
    }

    /**
     * Stops in order and returns the final snapshot: detach and drain the flow table, so that every packet counted is
     * reported (pinned: report what is due and leave the links attached and the tables counting), then flush the
     * exporters (each up to its flush timeout; what it could not send is counted as failed). /metrics keeps serving
     * until {@link #close()}. Idempotent.
     */
    public synchronized AgentSnapshot stop() {
        if (stopped) return last;
        try {
            if (monitor != null) monitor.stop();
        } finally {
            finish(false);
        }
        return last;
    }

    /**
     * Stops for good: detaches every link, pinned ones too, drains the tables (everything counted since they were
     * created, by this agent or the ones before it, is reported), flushes the exporters and removes the pins.
     */
    public synchronized AgentSnapshot stopAndUnpin() {
        if (stopped) return last;
        try {
            if (monitor != null) monitor.stopAndUnpin();
        } finally {
            finish(true);
        }
        return last;
    }

    private void finish(boolean unpin) {
        if (conntrack != null) {
            // every connection still in the table is reported before the exporters flush
            try {
                conntrack.drain(this::offer);
                finalConntrack = conntrack.snapshot();
            } finally {
                conntrack.close();
            }
        }
        runners.forEach(ExporterRunner::close);
        if (guard != null) {
            finalGuard = guard.snapshot();
            if (unpin) guard.stop();
            else guard.close(); // pinned: the rules stay in force; process-scoped: detached
        }
        stopped = true;
        last = snapshot();
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            try {
                if (monitor != null) monitor.close();
            } finally {
                try {
                    if (metrics != null) metrics.close();
                } finally {
                    if (debugLog != null) debugLog.close(); // last: what the programs printed while stopping is read too
                }
            }
        }
    }
}
