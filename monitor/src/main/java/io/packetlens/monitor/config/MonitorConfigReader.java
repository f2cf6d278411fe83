package io.packetlens.monitor.config;

import io.packetlens.config.ConfigException;
import io.packetlens.config.ConfigNode;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.flow.EventKind;
import io.packetlens.flow.XdpSharing;
import io.packetlens.monitor.alert.AlertType;
import io.packetlens.packet.Decapsulation;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the flow monitor's sections of a configuration: {@code flows:} (hook, table, timeouts, poll interval, events),
 * {@code view:} and {@code alerts:}. Every key is checked: an unknown key, a value of the wrong kind or out of range is
 * a {@link ConfigException} naming the key path, so nothing is attached on a bad configuration. See
 * docs/packetlens.example.yaml.
 */
public final class MonitorConfigReader {
    /** The keys of the {@code flows:} section ({@code enabled} is the agent's: whether the monitor runs at all). */
    public static final Set<String> FLOWS_KEYS = Set.of("enabled", "hook", "xdp-mode", "xdp-sharing", "table-size", "timeouts", "poll-interval",
            "events", "sample-every", "fallback", "tunnels");

    private MonitorConfigReader() {}

    /** The {@code flows:} section over {@code base}. */
    public static MonitorConfig flows(ConfigNode flows, MonitorConfig base) {
        flows.allow(FLOWS_KEYS, java.util.Map.of());
        MonitorConfig c = base;
        if (flows.has("hook")) c = c.withHook(flows.child("hook").oneOf(MonitorConfig.Hook.class));
        if (flows.has("xdp-mode")) c = c.withXdpMode(xdpMode(flows.child("xdp-mode")));
        if (flows.has("xdp-sharing")) {
            String v = flows.child("xdp-sharing").string();
            c = c.withXdpSharing(switch (v) {
                case "auto" -> XdpSharing.AUTO;
                case "chain" -> XdpSharing.CHAIN;
                case "direct" -> XdpSharing.DIRECT;
                default -> throw flows.error("xdp-sharing", "expected auto (join the interface's XDP chain if it has one), chain or direct, got '" + v + "'");
            });
        }
        if (flows.has("fallback")) c = c.withFallback(flows.child("fallback").bool());
        if (flows.has("tunnels")) c = c.withDecapsulation(tunnels(flows.child("tunnels"), c.decapsulation()));
        if (flows.has("table-size")) c = c.withTableSize((int) flows.child("table-size").integer(1, 1L << 26));
        if (flows.has("timeouts")) {
            ConfigNode t = flows.child("timeouts").allow("active", "idle");
            c = c.withTimeouts(t.optional("active", ConfigNode::duration, c.activeTimeout()), t.optional("idle", ConfigNode::duration, c.idleTimeout()));
        }
        if (flows.has("poll-interval")) c = c.withPollInterval(pollInterval(flows.child("poll-interval")));
        Set<EventKind> events = EnumSet.noneOf(EventKind.class);
        events.addAll(c.events());
        if (flows.has("events")) {
            events.clear();
            for (ConfigNode n : flows.child("events").list(true)) events.add(n.oneOf(EventKind.class));
        }
        int sampleEvery = c.sampleEvery();
        if (flows.has("sample-every")) {
            sampleEvery = (int) flows.child("sample-every").integer(1, Integer.MAX_VALUE);
            events.add(EventKind.SAMPLE); // asking for a rate is asking for samples
        } else if (events.contains(EventKind.SAMPLE) && sampleEvery < 1) {
            throw flows.error("sample-every", "required when events include sample: sample one packet in N (N >= 1)");
        }
        return c.withEvents(events, events.contains(EventKind.SAMPLE) ? sampleEvery : 0);
    }

    /**
     * The {@code flows.tunnels:} section over {@code base}: {@code decapsulate} (false: every packet by its outer header)
     * and {@code vxlan-ports}, the UDP ports that carry VXLAN (at most {@value Decapsulation#MAX_VXLAN_PORTS}).
     */
    public static Decapsulation tunnels(ConfigNode t, Decapsulation base) {
        t.allow("decapsulate", "vxlan-ports");
        boolean on = t.optional("decapsulate", ConfigNode::bool, base.enabled());
        if (!t.has("vxlan-ports")) return new Decapsulation(on, base.vxlanPorts());
        ConfigNode list = t.child("vxlan-ports");
        List<Integer> ports = new ArrayList<>();
        for (ConfigNode n : list.list(false)) {
            int p = (int) n.integer(1, 65535);
            if (ports.contains(p)) throw n.error("port " + p + " is listed twice");
            ports.add(p);
        }
        try {
            return new Decapsulation(on, ports); // the port count is the kernel program's limit, checked there
        } catch (IllegalArgumentException e) {
            throw list.error(e.getMessage());
        }
    }

    /** {@code auto}, {@code driver}, {@code generic} (and the aliases of {@link XdpMode#parse}). */
    public static XdpMode xdpMode(ConfigNode n) {
        try {
            return XdpMode.parse(n.string());
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }

    /** A duration, or {@code auto} (null). */
    public static Duration pollInterval(ConfigNode n) {
        if (n.isText() && n.string().equals("auto")) return null;
        try {
            return n.duration();
        } catch (ConfigException e) {
            throw n.error("expected a duration such as 1s or 500ms, or auto, got " + n.kind());
        }
    }

    /** The {@code view:} section. */
    public static MonitorConfig.View view(ConfigNode v, MonitorConfig.View base) {
        v.allow("top", "sort-by");
        return new MonitorConfig.View((int) v.optional("top", n -> n.integer(1, 1000), (long) base.top()).longValue(),
                v.optional("sort-by", n -> n.oneOf(MonitorConfig.View.SortBy.class), base.sortBy()));
    }

    /** The {@code alerts:} list. */
    public static List<MonitorConfig.AlertRuleConfig> alerts(ConfigNode list) {
        List<MonitorConfig.AlertRuleConfig> out = new ArrayList<>();
        for (ConfigNode n : list.list(false)) {
            if (!n.isMapping()) throw n.error("expected a rule with 'type' and 'threshold'");
            n.allow("type", "threshold", "window");
            AlertType type = n.required("type", "one of " + String.join(", ", ConfigNode.names(AlertType.class))).oneOf(AlertType.class);
            double threshold = n.required("threshold", "a positive number").number();
            Duration window = n.optional("window", ConfigNode::duration, Duration.ofSeconds(type == AlertType.PORT_SCAN ? 10 : 1));
            out.add(new MonitorConfig.AlertRuleConfig(type, threshold, window));
        }
        return out;
    }

    /** A pin directory: must be absolute (a relative one would move with the working directory). */
    public static Path pinDirectory(ConfigNode n) {
        Path p = Path.of(n.string());
        if (!p.isAbsolute()) throw n.error("must be an absolute path on a bpf file system, such as /sys/fs/bpf/packetlens");
        if (p.toString().contains(".")) throw n.error("bpffs refuses names with '.': choose a path without one");
        return p;
    }
}
