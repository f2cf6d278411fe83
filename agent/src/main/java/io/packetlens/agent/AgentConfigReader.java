package io.packetlens.agent;

import io.packetlens.config.ConfigDocument;
import io.packetlens.config.ConfigNode;
import io.packetlens.export.ExporterConfigs;
import io.packetlens.export.ExporterSpec;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.monitor.config.MonitorConfigReader;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the agent's YAML configuration: {@code interfaces}, {@code flows}, {@code view}, {@code alerts},
 * {@code exporters}, {@code metrics}, {@code pin} and {@code observation-domain}. Every key is checked, and each
 * exporter entry by its own type; an error names the key and its line, and is raised before anything is loaded or
 * attached. Keys of the flat layout that {@code flows --config} used to read are pointed to their new place.
 */
public final class AgentConfigReader {
    static final Set<String> KEYS = Set.of("interfaces", "flows", "view", "alerts", "exporters", "metrics", "pin", "observation-domain");
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
        if (top.has("flows")) flows = MonitorConfigReader.flows(top.child("flows"), flows);
        if (top.has("view")) flows = flows.withView(MonitorConfigReader.view(top.child("view"), flows.view()));
        if (top.has("alerts")) flows = flows.withAlerts(MonitorConfigReader.alerts(top.child("alerts")));
        InetSocketAddress metrics = top.has("metrics") ? metrics(top.child("metrics")) : d.metrics();
        Path pin = top.optional("pin", MonitorConfigReader::pinDirectory, null);
        long domain = top.optional("observation-domain", n -> n.integer(0, 0xffff_ffffL), 0L);
        List<ExporterSpec> exporters = top.has("exporters") ? ExporterConfigs.read(top.child("exporters")) : List.of();
        return new AgentConfig(interfaces, flows, exporters, metrics, pin, domain);
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
        m.allow("enabled", "address");
        if (!m.optional("enabled", ConfigNode::bool, true)) return null;
        if (!m.has("address")) return AgentConfig.DEFAULT_METRICS;
        ConfigNode a = m.child("address");
        return a.resolvedAddress(true);
    }
}
