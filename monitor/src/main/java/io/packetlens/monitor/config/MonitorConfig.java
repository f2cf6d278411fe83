package io.packetlens.monitor.config;

import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.flow.EventKind;
import io.packetlens.flow.XdpSharing;
import io.packetlens.monitor.alert.AlertType;
import io.packetlens.packet.Decapsulation;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Everything the flow monitor can be told, with a default for each option: the {@code flows:},
 * {@code view:} and {@code alerts:} sections of the agent's configuration (read by
 * {@link MonitorConfigReader}) plus the interfaces to watch.
 *
 * @param interfaces   interfaces to watch in the caller's namespace (for {@link io.packetlens.monitor.FlowMonitor#attachConfigured})
 * @param hook         where the flow program attaches: XDP (ingress only) or TC (ingress and egress)
 * @param xdpMode      XDP attach mode
 * @param tableSize    flows the kernel table holds
 * @param activeTimeout a record at least this often for long flows
 * @param idleTimeout  flows without packets this long are finished
 * @param pollInterval how often the kernel table is read, or null for automatic (see {@link #resolvePollInterval})
 * @param view         live terminal view settings
 * @param alerts       alert rules
 * @param events       flow program events to subscribe to (none by default): new flows, TCP open/close, samples, overflow
 * @param sampleEvery  with {@link EventKind#SAMPLE}: one packet in this many (0 when sampling is off)
 * @param pinDirectory bpffs directory where the tables and links are pinned to outlive the process, or null
 * @param xdpSharing   at XDP: alone on the interface, or in its XDP chain behind the guard ({@code flows.xdp-sharing})
 * @param fallback     when the flow program cannot be loaded or attached, count from AF_PACKET rings in Java instead
 *                     ({@code flows.fallback}, default true; see docs/FALLBACK.md); false: fail as the error says
 * @param decapsulation whether tunnelled packets count as the packets inside them, and the VXLAN ports
 *                     ({@code flows.tunnels}; by default tunnels are looked into and VXLAN is UDP 4789)
 */
public record MonitorConfig(List<String> interfaces, Hook hook, XdpMode xdpMode, int tableSize, Duration activeTimeout,
                            Duration idleTimeout, Duration pollInterval, View view, List<AlertRuleConfig> alerts,
                            Set<EventKind> events, int sampleEvery, Path pinDirectory, XdpSharing xdpSharing,
                            boolean fallback, Decapsulation decapsulation) {
    /** Attach point of the flow program. */
    public enum Hook { XDP, TC }

    /** Live view: how many flows, ordered by what. */
    public record View(int top, SortBy sortBy) {
        public enum SortBy { BYTES, PACKETS }
    }

    /** One alert rule as configured. */
    public record AlertRuleConfig(AlertType type, double threshold, Duration window) {}

    public MonitorConfig {
        interfaces = List.copyOf(interfaces);
        alerts = List.copyOf(alerts);
        events = events.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(events));
        java.util.Objects.requireNonNull(decapsulation, "decapsulation");
    }

    public static MonitorConfig defaults() {
        return new MonitorConfig(List.of(), Hook.XDP, XdpMode.AUTO, 65_536, Duration.ofSeconds(60), Duration.ofSeconds(15),
                null, new View(20, View.SortBy.BYTES), List.of(), Set.of(), 0, null, XdpSharing.AUTO, true, Decapsulation.DEFAULT);
    }

    /** The automatic poll interval when something shows per-second figures: the live view, alert rules. */
    public static final Duration LIVE_POLL_INTERVAL = Duration.ofSeconds(1);
    /**
     * The automatic poll interval otherwise (flow records, exporters, /metrics only): records come out at the timeouts
     * anyway, and every poll reads the whole table, so its cost is flows x polls.
     */
    public static final Duration QUIET_POLL_INTERVAL = Duration.ofSeconds(5);

    /**
     * This configuration with its poll interval decided: as configured if set; otherwise every
     * {@link #LIVE_POLL_INTERVAL} when {@code liveView} or alert rules need per-second figures, else every
     * {@link #QUIET_POLL_INTERVAL}.
     */
    public MonitorConfig resolvePollInterval(boolean liveView) {
        if (pollInterval != null) return this;
        return withPollInterval(liveView || !alerts.isEmpty() ? LIVE_POLL_INTERVAL : QUIET_POLL_INTERVAL);
    }

    public MonitorConfig withInterfaces(List<String> v) {
        return new MonitorConfig(v, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, view, alerts, events, sampleEvery, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    public MonitorConfig withHook(Hook v) {
        return new MonitorConfig(interfaces, v, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, view, alerts, events, sampleEvery, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    public MonitorConfig withXdpMode(XdpMode v) {
        return new MonitorConfig(interfaces, hook, v, tableSize, activeTimeout, idleTimeout, pollInterval, view, alerts, events, sampleEvery, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    public MonitorConfig withTableSize(int v) {
        return new MonitorConfig(interfaces, hook, xdpMode, v, activeTimeout, idleTimeout, pollInterval, view, alerts, events, sampleEvery, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    public MonitorConfig withTimeouts(Duration active, Duration idle) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, active, idle, pollInterval, view, alerts, events, sampleEvery, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    public MonitorConfig withPollInterval(Duration v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, v, view, alerts, events, sampleEvery, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    public MonitorConfig withView(View v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, v, alerts, events, sampleEvery, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    public MonitorConfig withAlerts(List<AlertRuleConfig> v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, view, v, events, sampleEvery, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    /** Subscribes to flow program events; {@code every} applies to {@link EventKind#SAMPLE}. */
    public MonitorConfig withEvents(Set<EventKind> kinds, int every) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, view, alerts, kinds, every, pinDirectory, xdpSharing, fallback, decapsulation);
    }

    /** Whether the XDP entry point joins the interface's XDP chain (shared with the guard) or attaches alone. */
    public MonitorConfig withXdpSharing(XdpSharing v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, view, alerts, events, sampleEvery, pinDirectory, v, fallback, decapsulation);
    }

    /** Whether a monitor whose flow program cannot be loaded or attached falls back to AF_PACKET (true) or fails. */
    public MonitorConfig withFallback(boolean v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, view, alerts, events, sampleEvery, pinDirectory, xdpSharing, v, decapsulation);
    }

    /** Whether tunnelled packets count as their inner packets, and which UDP ports carry VXLAN. */
    public MonitorConfig withDecapsulation(Decapsulation v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, view, alerts, events, sampleEvery, pinDirectory, xdpSharing, fallback, v);
    }

    /** Pins the tables and links under {@code dir} so that they outlive the process (null: nothing pinned). */
    public MonitorConfig withPinDirectory(Path dir) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, view, alerts, events, sampleEvery, dir, xdpSharing, fallback, decapsulation);
    }
}
