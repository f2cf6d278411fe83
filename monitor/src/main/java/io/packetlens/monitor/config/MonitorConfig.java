package io.packetlens.monitor.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import io.packetlens.flow.EventKind;

/**
 * Everything the flow monitor can be told, with a default for each option. Built by
 * {@link ConfigReader} from a YAML file and command-line flags; see docs/packetlens.example.yaml.
 *
 * @param interfaces   interfaces to watch (at least one when running)
 * @param hook         where the flow program attaches: XDP (ingress only) or TC (ingress and egress)
 * @param xdpMode      XDP attach mode: auto, driver or generic
 * @param tableSize    flows the kernel table holds
 * @param activeTimeout a record at least this often for long flows
 * @param idleTimeout  flows without packets this long are finished
 * @param pollInterval how often the kernel table is read, or null for automatic (see {@link #resolvePollInterval})
 * @param metrics      Prometheus endpoint, or null when disabled
 * @param flowLog      JSON flow log, or null when disabled
 * @param view         live terminal view settings
 * @param alerts       alert rules
 * @param events       flow program events to subscribe to (none by default): new flows, TCP open/close, samples, overflow
 * @param sampleEvery  with {@link EventKind#SAMPLE}: one packet in this many (0 when sampling is off)
 */
public record MonitorConfig(List<String> interfaces, Hook hook, String xdpMode, int tableSize, Duration activeTimeout,
                            Duration idleTimeout, Duration pollInterval, Metrics metrics, FlowLog flowLog, View view,
                            List<AlertRuleConfig> alerts, Set<EventKind> events, int sampleEvery) {
    /** Attach point of the flow program. */
    public enum Hook { XDP, TC }

    /** The /metrics endpoint: bound to loopback unless told otherwise. */
    public record Metrics(InetSocketAddress address) {
        public static final InetSocketAddress DEFAULT = new InetSocketAddress("127.0.0.1", 9464);
    }

    /** JSON-lines flow log with size-based rotation: {@code path}, {@code path.1} ... {@code path.<keep>}. */
    public record FlowLog(Path path, long maxBytes, int keep) {
        public static final long DEFAULT_MAX_BYTES = 100L << 20;
        public static final int DEFAULT_KEEP = 5;
    }

    /** Live view: how many flows, ordered by what. */
    public record View(int top, SortBy sortBy) {
        public enum SortBy { BYTES, PACKETS }
    }

    /** One alert rule as configured. */
    public record AlertRuleConfig(String type, double threshold, Duration window) {}

    public MonitorConfig {
        events = events.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(events));
    }

    /** Without events (the options before event subscriptions existed). */
    public MonitorConfig(List<String> interfaces, Hook hook, String xdpMode, int tableSize, Duration activeTimeout,
                         Duration idleTimeout, Duration pollInterval, Metrics metrics, FlowLog flowLog, View view,
                         List<AlertRuleConfig> alerts) {
        this(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, metrics, flowLog, view, alerts,
                Set.of(), 0);
    }

    public static MonitorConfig defaults() {
        return new MonitorConfig(List.of(), Hook.XDP, "auto", 65_536, Duration.ofSeconds(60), Duration.ofSeconds(15),
                null, new Metrics(Metrics.DEFAULT), null, new View(20, View.SortBy.BYTES), List.of());
    }

    /** The automatic poll interval when something shows per-second figures: the live view, alert rules. */
    public static final Duration LIVE_POLL_INTERVAL = Duration.ofSeconds(1);
    /**
     * The automatic poll interval otherwise (flow records, flow log, /metrics only): records come out at the timeouts
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

    public MonitorConfig withPollInterval(Duration v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, v, metrics, flowLog, view, alerts, events, sampleEvery);
    }

    public MonitorConfig withInterfaces(List<String> v) {
        return new MonitorConfig(List.copyOf(v), hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, metrics, flowLog, view, alerts, events, sampleEvery);
    }

    public MonitorConfig withHook(Hook v) {
        return new MonitorConfig(interfaces, v, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, metrics, flowLog, view, alerts, events, sampleEvery);
    }

    public MonitorConfig withMetrics(Metrics v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, v, flowLog, view, alerts, events, sampleEvery);
    }

    public MonitorConfig withFlowLog(FlowLog v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, metrics, v, view, alerts, events, sampleEvery);
    }

    public MonitorConfig withTimeouts(Duration active, Duration idle) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, active, idle, pollInterval, metrics, flowLog, view, alerts, events, sampleEvery);
    }

    public MonitorConfig withAlerts(List<AlertRuleConfig> v) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, metrics, flowLog, view, List.copyOf(v), events, sampleEvery);
    }

    /** Subscribes to flow program events; {@code sampleEvery} applies to {@link EventKind#SAMPLE}. */
    public MonitorConfig withEvents(Set<EventKind> kinds, int every) {
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, activeTimeout, idleTimeout, pollInterval, metrics, flowLog, view, alerts, kinds, every);
    }
}
