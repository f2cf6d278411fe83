package io.packetlens.monitor.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import io.packetlens.flow.EventKind;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a YAML configuration into a {@link MonitorConfig}. Every key is checked: an unknown
 * key, a value of the wrong kind or out of range is a {@link ConfigException} naming the key
 * path and what was expected, so nothing is attached on a bad configuration.
 */
public final class ConfigReader {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|KiB|MB|MiB|GB|GiB)?", Pattern.CASE_INSENSITIVE);
    private static final Set<String> ALERT_TYPES = Set.of("source-pps", "new-flows-per-second", "port-scan");

    private static final String EVENT_NAMES = "new-flow, tcp, sample, overflow";

    private ConfigReader() {}

    /** The configuration name of an event kind: {@code NEW_FLOW} is {@code new-flow}. */
    public static String eventName(EventKind k) {
        return k.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static MonitorConfig read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException("", "configuration file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("", "cannot read configuration file " + file + ": " + e.getMessage());
        }
    }

    public static MonitorConfig parse(String yaml) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (JacksonException e) {
            throw new ConfigException("", "not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        MonitorConfig d = MonitorConfig.defaults();
        if (root == null || root.isNull() || root.isMissingNode()) return d;
        if (!root.isObject()) throw new ConfigException("", "expected a mapping of options at the top level");
        Node top = new Node("", root);
        top.allow("interfaces", "hook", "xdp-mode", "table-size", "timeouts", "poll-interval", "metrics", "flow-log", "view", "alerts",
                "events", "sample-every");
        List<String> interfaces = top.has("interfaces") ? top.child("interfaces").stringList() : d.interfaces();
        MonitorConfig.Hook hook = top.has("hook") ? top.child("hook").oneOf(MonitorConfig.Hook.class) : d.hook();
        String xdpMode = top.has("xdp-mode") ? top.child("xdp-mode").oneOfStrings("auto", "driver", "generic") : d.xdpMode();
        int tableSize = top.has("table-size") ? (int) top.child("table-size").integer(1, 1L << 26) : d.tableSize();
        Duration active = d.activeTimeout(), idle = d.idleTimeout();
        if (top.has("timeouts")) {
            Node t = top.child("timeouts");
            t.allow("active", "idle");
            if (t.has("active")) active = t.child("active").duration();
            if (t.has("idle")) idle = t.child("idle").duration();
        }
        Duration poll = d.pollInterval();
        if (top.has("poll-interval")) {
            Node p = top.child("poll-interval");
            try {
                poll = p.json.isTextual() && p.json.asText().equals("auto") ? null : p.duration();
            } catch (ConfigException e) {
                throw new ConfigException(e.key(), e.getMessage().substring(e.key().length() + 2) + ", or auto");
            }
        }
        MonitorConfig.Metrics metrics = d.metrics();
        if (top.has("metrics")) {
            Node m = top.child("metrics");
            m.allow("enabled", "address");
            boolean enabled = !m.has("enabled") || m.child("enabled").bool();
            metrics = enabled ? new MonitorConfig.Metrics(m.has("address") ? m.child("address").address() : MonitorConfig.Metrics.DEFAULT) : null;
        }
        MonitorConfig.FlowLog log = null;
        if (top.has("flow-log")) {
            Node l = top.child("flow-log");
            l.allow("path", "max-size", "keep");
            if (!l.has("path")) throw new ConfigException(l.path("path"), "required: the file to write flow records to");
            log = new MonitorConfig.FlowLog(Path.of(l.child("path").string()),
                    l.has("max-size") ? l.child("max-size").size() : MonitorConfig.FlowLog.DEFAULT_MAX_BYTES,
                    l.has("keep") ? (int) l.child("keep").integer(0, 1000) : MonitorConfig.FlowLog.DEFAULT_KEEP);
        }
        MonitorConfig.View view = d.view();
        if (top.has("view")) {
            Node v = top.child("view");
            v.allow("top", "sort-by");
            view = new MonitorConfig.View(v.has("top") ? (int) v.child("top").integer(1, 1000) : view.top(),
                    v.has("sort-by") ? v.child("sort-by").oneOf(MonitorConfig.View.SortBy.class) : view.sortBy());
        }
        List<MonitorConfig.AlertRuleConfig> alerts = new ArrayList<>();
        if (top.has("alerts")) {
            Node a = top.child("alerts");
            if (!a.json.isArray()) throw new ConfigException(a.path, "expected a list of rules, got " + kind(a.json));
            for (int i = 0; i < a.json.size(); i++) alerts.add(alert(new Node(a.path + "[" + i + "]", a.json.get(i))));
        }
        Set<EventKind> events = EnumSet.noneOf(EventKind.class);
        if (top.has("events")) events.addAll(top.child("events").eventKinds());
        int sampleEvery = 0;
        if (top.has("sample-every")) {
            sampleEvery = (int) top.child("sample-every").integer(1, Integer.MAX_VALUE);
            events.add(EventKind.SAMPLE); // asking for a rate is asking for samples
        } else if (events.contains(EventKind.SAMPLE)) {
            throw new ConfigException(top.path("sample-every"), "required when events include sample: sample one packet in N (N >= 1)");
        }
        return new MonitorConfig(interfaces, hook, xdpMode, tableSize, active, idle, poll, metrics, log, view, alerts,
                events, sampleEvery);
    }

    private static MonitorConfig.AlertRuleConfig alert(Node n) {
        if (!n.json.isObject()) throw new ConfigException(n.path, "expected a rule with 'type' and 'threshold'");
        n.allow("type", "threshold", "window");
        if (!n.has("type")) throw new ConfigException(n.path("type"), "required: one of " + String.join(", ", ALERT_TYPES));
        String type = n.child("type").oneOfStrings(ALERT_TYPES.toArray(String[]::new));
        if (!n.has("threshold")) throw new ConfigException(n.path("threshold"), "required: a positive number");
        double threshold = n.child("threshold").number();
        Duration window = n.has("window") ? n.child("window").duration() : Duration.ofSeconds(type.equals("port-scan") ? 10 : 1);
        return new MonitorConfig.AlertRuleConfig(type, threshold, window);
    }

    public static Duration parseDuration(String key, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) throw new ConfigException(key, "expected a duration such as 500ms, 15s, 2m or 1h, got '" + text + "'");
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero()) throw new ConfigException(key, "must be longer than zero");
        return d;
    }

    public static InetSocketAddress parseAddress(String key, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) throw new ConfigException(key, "expected HOST:PORT such as 127.0.0.1:9464, got '" + text + "'");
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "expected a port number after ':', got '" + text.substring(colon + 1) + "'");
        }
        if (port < 0 || port > 65535) throw new ConfigException(key, "port must be 0..65535, got " + port);
        return new InetSocketAddress(host, port);
    }

    private static String kind(JsonNode n) {
        return n.isTextual() ? "'" + n.asText() + "'" : n.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    /** A node of the YAML tree with its key path, for messages. */
    private record Node(String path, JsonNode json) {
        String path(String child) {
            return path.isEmpty() ? child : path + "." + child;
        }

        boolean has(String key) {
            return json.has(key) && !json.get(key).isNull();
        }

        Node child(String key) {
            return new Node(path(key), json.get(key));
        }

        void allow(String... keys) {
            if (!json.isObject()) throw new ConfigException(path, "expected a mapping, got " + kind(json));
            Set<String> ok = Set.of(keys);
            for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                String k = it.next().getKey();
                if (!ok.contains(k)) throw new ConfigException(path(k), "unknown option (known here: " + String.join(", ", keys) + ")");
            }
        }

        String string() {
            if (!json.isTextual()) throw new ConfigException(path, "expected text, got " + kind(json));
            return json.asText();
        }

        List<String> stringList() {
            List<String> out = new ArrayList<>();
            if (json.isTextual()) return List.of(json.asText());
            if (!json.isArray()) throw new ConfigException(path, "expected a list of interface names, got " + kind(json));
            for (int i = 0; i < json.size(); i++) out.add(new Node(path + "[" + i + "]", json.get(i)).string());
            return out;
        }

        /** A list of event kinds: new-flow, tcp, sample, overflow (one name alone is a list of one). */
        List<EventKind> eventKinds() {
            List<EventKind> out = new ArrayList<>();
            if (json.isTextual()) return List.of(eventKind(path, json));
            if (!json.isArray()) throw new ConfigException(path, "expected a list of event kinds (" + EVENT_NAMES + "), got " + kind(json));
            for (int i = 0; i < json.size(); i++) out.add(eventKind(path + "[" + i + "]", json.get(i)));
            return out;
        }

        private static EventKind eventKind(String path, JsonNode n) {
            String v = n.isTextual() ? n.asText().trim().toLowerCase(Locale.ROOT) : "";
            for (EventKind k : EventKind.values()) {
                if (eventName(k).equals(v)) return k;
            }
            throw new ConfigException(path, "expected one of " + EVENT_NAMES + ", got " + kind(n));
        }

        long integer(long min, long max) {
            if (!json.canConvertToLong() || !json.isIntegralNumber()) throw new ConfigException(path, "expected a whole number, got " + kind(json));
            long v = json.asLong();
            if (v < min || v > max) throw new ConfigException(path, "must be between " + min + " and " + max + ", got " + v);
            return v;
        }

        double number() {
            if (!json.isNumber()) throw new ConfigException(path, "expected a number, got " + kind(json));
            double v = json.asDouble();
            if (!(v > 0)) throw new ConfigException(path, "must be positive, got " + v);
            return v;
        }

        boolean bool() {
            if (!json.isBoolean()) throw new ConfigException(path, "expected true or false, got " + kind(json));
            return json.asBoolean();
        }

        Duration duration() {
            return parseDuration(path, json.isNumber() ? json.asText() + "s" : string());
        }

        long size() {
            String text = json.isNumber() ? json.asText() : string();
            Matcher m = SIZE.matcher(text.trim());
            if (!m.matches()) throw new ConfigException(path, "expected a size such as 100MB or 64KiB, got '" + text + "'");
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
            long mult = switch (unit) {
                case "KB" -> 1000L; case "KIB" -> 1024L; case "MB" -> 1000_000L; case "MIB" -> 1L << 20;
                case "GB" -> 1000_000_000L; case "GIB" -> 1L << 30; default -> 1L;
            };
            if (n * mult < 1024) throw new ConfigException(path, "must be at least 1KiB, got '" + text + "'");
            return n * mult;
        }

        InetSocketAddress address() {
            return parseAddress(path, string());
        }

        String oneOfStrings(String... options) {
            String v = string().toLowerCase(Locale.ROOT);
            for (String o : options) if (o.equals(v)) return o;
            throw new ConfigException(path, "expected one of " + String.join(", ", options) + ", got '" + json.asText() + "'");
        }

        <E extends Enum<E>> E oneOf(Class<E> type) {
            String v = string().toUpperCase(Locale.ROOT).replace('-', '_');
            for (E e : type.getEnumConstants()) if (e.name().equals(v)) return e;
            List<String> names = new ArrayList<>();
            for (E e : type.getEnumConstants()) names.add(e.name().toLowerCase(Locale.ROOT));
            throw new ConfigException(path, "expected one of " + String.join(", ", names) + ", got '" + json.asText() + "'");
        }
    }
}
