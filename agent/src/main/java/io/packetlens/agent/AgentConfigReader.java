package io.packetlens.agent;

import io.packetlens.config.ConfigDocument;
import io.packetlens.config.ConfigNode;
import io.packetlens.export.ExporterConfigs;
import io.packetlens.export.ExporterSpec;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.monitor.config.MonitorConfigReader;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.guard.GuardProgram;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.guard.rules.RulesReader;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the agent's YAML configuration: {@code interfaces}, {@code flows}, {@code view}, {@code alerts},
 * {@code exporters}, {@code metrics}, {@code pin}, {@code observation-domain}, {@code guard}, {@code conntrack} and {@code debug-kernel}. Every key is checked, and each
 * exporter entry by its own type; an error names the key and its line, and is raised before anything is loaded or
 * attached. Keys of the flat layout that {@code flows --config} used to read are pointed to their new place.
 */
public final class AgentConfigReader {
    static final Set<String> KEYS = Set.of("interfaces", "flows", "view", "alerts", "exporters", "metrics", "pin", "observation-domain",
            "guard", "debug-kernel", "conntrack");
    static final Set<String> CONNTRACK_KEYS = Set.of("interfaces", "hook", "table-size", "export", "timeouts");
    /** nf_conntrack's timeout sysctls without their {@code nf_conntrack_} prefix and {@code _timeout}, dashed. */
    static final Set<String> CONNTRACK_TIMEOUT_KEYS = Set.of("tcp-syn-sent", "tcp-syn-recv", "tcp-established", "tcp-fin-wait",
            "tcp-close-wait", "tcp-last-ack", "tcp-time-wait", "tcp-close", "udp", "udp-stream", "icmp", "generic");
    static final Set<String> GUARD_KEYS = Set.of("interfaces", "hook", "xdp-mode", "rules", "ruleset", "dry-run", "scope", "sample-every");
    /** Keys of the older flat layout, and where they are now. */
    static final Map<String, String> MOVED = Map.of(
            "hook", "flows.hook", "xdp-mode", "flows.xdp-mode", "table-size", "flows.table-size",
            "timeouts", "flows.timeouts", "poll-interval", "flows.poll-interval", "events", "flows.events",
            "sample-every", "flows.sample-every", "flow-log", "an exporter: exporters: [{type: file, path: ...}]");

    private AgentConfigReader() {}

    public static AgentConfig read(Path file) {
        return read(ConfigDocument.read(file));
    }

    public static AgentConfig parse(String yaml) {
        return read(ConfigDocument.parse(yaml));
    }

    public static AgentConfig read(ConfigDocument doc) {
        AgentConfig d = AgentConfig.defaults();
        if (doc.isEmpty()) return d;
        ConfigNode top = doc.root();
        if (!top.isMapping()) throw top.error("expected a mapping of options at the top level, got " + top.kind());
        top.allow(KEYS, MOVED);
        List<InterfaceSpec> interfaces = top.has("interfaces") ? interfaces(top.child("interfaces")) : d.interfaces();
        MonitorConfig flows = d.flows();
        boolean flowsEnabled = true;
        if (top.has("flows")) {
            ConfigNode f = top.child("flows");
            flows = MonitorConfigReader.flows(f, flows);
            flowsEnabled = f.optional("enabled", ConfigNode::bool, true);
        }
        if (top.has("view")) flows = flows.withView(MonitorConfigReader.view(top.child("view"), flows.view()));
        if (top.has("alerts")) flows = flows.withAlerts(MonitorConfigReader.alerts(top.child("alerts")));
        InetSocketAddress metrics = top.has("metrics") ? metrics(top.child("metrics")) : d.metrics();
        boolean programStats = top.has("metrics") && top.child("metrics").optional("program-stats", ConfigNode::bool, false);
        Path pin = top.optional("pin", MonitorConfigReader::pinDirectory, null);
        long domain = top.optional("observation-domain", n -> n.integer(0, 0xffff_ffffL), 0L);
        List<ExporterSpec> exporters = top.has("exporters") ? ExporterConfigs.read(top.child("exporters")) : List.of();
        GuardConfig guard = top.optional("guard", AgentConfigReader::guard, null);
        boolean debugKernel = top.optional("debug-kernel", ConfigNode::bool, false);
        ConntrackSection conntrack = top.optional("conntrack", AgentConfigReader::conntrack, null);
        return new AgentConfig(interfaces, flows, exporters, metrics, pin, domain, flowsEnabled, guard, programStats, debugKernel, conntrack);
    }

    static List<InterfaceSpec> interfaces(ConfigNode list) {
        List<InterfaceSpec> out = new ArrayList<>();
        for (ConfigNode n : list.list(true)) {
            if (n.isText()) {
                out.add(InterfaceSpec.of(name(n)));
            } else if (n.isMapping()) {
                n.allow("name", "netns");
                out.add(new InterfaceSpec(name(n.required("name", "the interface name")), n.optional("netns", ConfigNode::string, null)));
            } else {
                throw n.error("expected an interface name, or {name: IFACE, netns: NAMESPACE}, got " + n.kind());
            }
        }
        return out;
    }

    private static String name(ConfigNode n) {
        String s = n.string();
        if (s.isBlank() || s.length() > 15 || s.contains("/") || s.contains(" ")) {
            throw n.error("not an interface name (1 to 15 characters, no '/' or spaces): '" + s + "'");
        }
        return s;
    }

    /** {@code metrics: {enabled: true, address: HOST:PORT}}; null when disabled. */
    static InetSocketAddress metrics(ConfigNode m) {
        m.allow("enabled", "address", "program-stats");
        if (!m.optional("enabled", ConfigNode::bool, true)) return null;
        if (!m.has("address")) return AgentConfig.DEFAULT_METRICS;
        ConfigNode a = m.child("address");
        return a.resolvedAddress(true);
    }

    /** The {@code conntrack:} section. */
    static ConntrackSection conntrack(ConfigNode c) {
        c.allow(CONNTRACK_KEYS, Map.of());
        List<InterfaceSpec> interfaces = c.optional("interfaces", AgentConfigReader::interfaces, List.of());
        boolean xdp = false;
        if (c.has("hook")) {
            String h = c.child("hook").string();
            xdp = switch (h) {
                case "tc" -> false;
                case "xdp" -> true;
                default -> throw c.error("hook", "expected tc (both directions) or xdp (what arrives only), got '" + h + "'");
            };
        }
        int size = (int) c.optional("table-size", n -> n.integer(1024, 1 << 26), (long) io.packetlens.conntrack.ConntrackConfig.DEFAULT_TABLE_SIZE).longValue();
        boolean export = c.optional("export", ConfigNode::bool, true);
        io.packetlens.conntrack.ConntrackTimeouts t = io.packetlens.conntrack.ConntrackTimeouts.defaults();
        if (c.has("timeouts")) {
            ConfigNode n = c.child("timeouts");
            n.allow(CONNTRACK_TIMEOUT_KEYS, Map.of());
            for (String k : CONNTRACK_TIMEOUT_KEYS) {
                if (!n.has(k)) continue;
                java.time.Duration d = n.child(k).duration();
                t = switch (k) {
                    case "udp" -> t.udp(d, t.of(17, io.packetlens.conntrack.ConnState.REPLIED));
                    case "udp-stream" -> t.udp(t.of(17, io.packetlens.conntrack.ConnState.UNREPLIED), d);
                    case "icmp" -> t.icmp(d);
                    case "generic" -> t.other(d);
                    default -> t.tcp(io.packetlens.conntrack.ConnState.valueOf(k.substring(4).replace('-', '_').toUpperCase(java.util.Locale.ROOT)), d);
                };
            }
        }
        return new ConntrackSection(interfaces, xdp, size, export, t);
    }

    /** The {@code guard:} section; the rules (a file, or inline under {@code ruleset}) are read and checked now. */
    static GuardConfig guard(ConfigNode g) {
        g.allow(GUARD_KEYS, Map.of());
        List<InterfaceSpec> interfaces = g.optional("interfaces", AgentConfigReader::interfaces, List.of());
        GuardProgram.Hook hook = GuardProgram.Hook.XDP;
        if (g.has("hook")) {
            String h = g.child("hook").string();
            hook = switch (h) {
                case "xdp" -> GuardProgram.Hook.XDP;
                case "tc" -> GuardProgram.Hook.TC_INGRESS;
                default -> throw g.error("hook", "expected xdp or tc, got '" + h + "'");
            };
        }
        XdpMode mode = g.optional("xdp-mode", MonitorConfigReader::xdpMode, XdpMode.AUTO);
        if (g.has("rules") == g.has("ruleset")) throw g.error("rules", "required: the rules file (or the rules inline under 'ruleset', not both)");
        Path file = null;
        RuleSet rules;
        if (g.has("rules")) {
            file = Path.of(g.child("rules").string()).toAbsolutePath();
            try {
                rules = RulesReader.read(file);
            } catch (io.packetlens.config.ConfigException e) {
                throw g.error("rules", "in " + file + ": " + e.getMessage());
            }
        } else {
            rules = RulesReader.read(g.child("ruleset"));
        }
        boolean dry = g.optional("dry-run", ConfigNode::bool, false);
        String scope = g.optional("scope", ConfigNode::string, "pinned");
        if (!scope.equals("pinned") && !scope.equals("process")) throw g.error("scope", "expected pinned or process, got '" + scope + "'");
        int sample = (int) g.optional("sample-every", n -> n.integer(0, Integer.MAX_VALUE), 0L).longValue();
        return new GuardConfig(interfaces, hook, mode, file, rules, dry, scope.equals("process"), sample);
    }
}
