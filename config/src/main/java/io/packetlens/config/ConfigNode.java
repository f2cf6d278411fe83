package io.packetlens.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One node of a parsed YAML configuration with its key path ({@code flows.timeouts.idle},
 * {@code exporters[1].port}) and, when it came from a file, its line. Every accessor checks the kind
 * and range of the value and throws a {@link ConfigException} naming the key, so that a section's
 * reader is a list of plain calls and nothing half-configured is ever started.
 */
public final class ConfigNode {
    private final String path;
    private final JsonPointer pointer;
    private final JsonNode json;
    private final ConfigDocument document;

    ConfigNode(String path, JsonPointer pointer, JsonNode json, ConfigDocument document) {
        this.path = path;
        this.pointer = pointer;
        this.json = json;
        this.document = document;
    }

    /** The dotted key path of this node ("" at the top). */
    public String path() {
        return path;
    }

    /** The dotted key path of a child. */
    public String path(String child) {
        return path.isEmpty() ? child : path + "." + child;
    }

    /** The raw tree, for readers that need more than the accessors here. */
    public JsonNode json() {
        return json;
    }

    /** The line of this node in its file, or -1. */
    public int line() {
        return document.line(pointer);
    }

    /** An error about this node, with its key and line. */
    public ConfigException error(String problem) {
        return new ConfigException(path, problem, line());
    }

    /** An error about a child key (which may be missing: then the line is this node's). */
    public ConfigException error(String child, String problem) {
        int l = document.line(pointer.append(JsonPointer.compile("/" + escape(child))));
        return new ConfigException(path(child), problem, l > 0 ? l : line());
    }

    public boolean isNull() {
        return json == null || json.isNull() || json.isMissingNode();
    }

    public boolean isText() {
        return json.isTextual();
    }

    public boolean isMapping() {
        return json.isObject();
    }

    public boolean isList() {
        return json.isArray();
    }

    /** Whether a child key is present with a non-null value. */
    public boolean has(String key) {
        return json.has(key) && !json.get(key).isNull();
    }

    public ConfigNode child(String key) {
        return new ConfigNode(path(key), pointer.append(JsonPointer.compile("/" + escape(key))), json.get(key), document);
    }

    /** The child's value read by {@code reader}, or {@code fallback} when the key is absent. */
    public <T> T optional(String key, Function<ConfigNode, T> reader, T fallback) {
        return has(key) ? reader.apply(child(key)) : fallback;
    }

    /** The child, which must be present. */
    public ConfigNode required(String key, String what) {
        if (!has(key)) throw error(key, "required: " + what);
        return child(key);
    }

    /** Refuses any key not in {@code keys}; requires a mapping. */
    public ConfigNode allow(String... keys) {
        return allow(Set.of(keys), Map.of());
    }

    /**
     * Refuses any key not in {@code keys}. A key in {@code moved} gets a message saying where it went
     * (configurations written for an older version).
     */
    public ConfigNode allow(Set<String> keys, Map<String, String> moved) {
        if (!json.isObject()) throw error("expected a mapping, got " + kind());
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (moved.containsKey(k)) throw error(k, "moved: write it as " + moved.get(k));
            if (!keys.contains(k)) {
                throw error(k, "unknown option (known here: " + String.join(", ", keys.stream().sorted().toList()) + ")");
            }
        }
        return this;
    }

    /** The items of a list (a single value is a list of one when {@code singleAsList}). */
    public List<ConfigNode> list(boolean singleAsList) {
        if (!json.isArray()) {
            if (singleAsList && !json.isObject()) return List.of(this);
            throw error("expected a list, got " + kind());
        }
        List<ConfigNode> out = new ArrayList<>(json.size());
        for (int i = 0; i < json.size(); i++) {
            out.add(new ConfigNode(path + "[" + i + "]", pointer.append(JsonPointer.compile("/" + i)), json.get(i), document));
        }
        return out;
    }

    public String string() {
        if (!json.isTextual()) throw error("expected text, got " + kind());
        return json.asText();
    }

    /** A string or a list of strings. */
    public List<String> stringList() {
        return list(true).stream().map(ConfigNode::string).toList();
    }

    public long integer(long min, long max) {
        if (!json.isIntegralNumber() || !json.canConvertToLong()) throw error("expected a whole number, got " + kind());
        long v = json.asLong();
        if (v < min || v > max) throw error("must be between " + min + " and " + max + ", got " + v);
        return v;
    }

    /** A positive number. */
    public double number() {
        if (!json.isNumber()) throw error("expected a number, got " + kind());
        double v = json.asDouble();
        if (!(v > 0)) throw error("must be positive, got " + v);
        return v;
    }

    public boolean bool() {
        if (!json.isBoolean()) throw error("expected true or false, got " + kind());
        return json.asBoolean();
    }

    /** A duration ({@code 15s}); a bare number is seconds. */
    public Duration duration() {
        try {
            return ConfigValues.duration(path, json.isNumber() ? json.asText() + "s" : string());
        } catch (ConfigException e) {
            throw relocate(e);
        }
    }

    /** A size ({@code 100MiB}); a bare number is bytes. */
    public long size(long min) {
        try {
            return ConfigValues.size(path, json.isNumber() ? json.asText() : string(), min);
        } catch (ConfigException e) {
            throw relocate(e);
        }
    }

    /** {@code HOST:PORT}, not resolved. */
    public InetSocketAddress address() {
        try {
            return ConfigValues.address(path, string());
        } catch (ConfigException e) {
            throw relocate(e);
        }
    }

    /** {@code HOST:PORT} with the host looked up now (a destination that must exist). */
    public InetSocketAddress resolvedAddress(boolean portZeroAllowed) {
        try {
            return ConfigValues.resolvedAddress(path, string(), portZeroAllowed);
        } catch (ConfigException e) {
            throw relocate(e);
        }
    }

    /** One of the enum's constants, written in lower case with '-' for '_' ({@code drop-oldest}). */
    public <E extends Enum<E>> E oneOf(Class<E> type) {
        String v = string().trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) if (e.name().equals(v)) return e;
        throw error("expected one of " + String.join(", ", names(type)) + ", got '" + json.asText() + "'");
    }

    /** The configuration spelling of an enum constant: {@code DROP_OLDEST} is {@code drop-oldest}. */
    public static String name(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static <E extends Enum<E>> List<String> names(Class<E> type) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) names.add(name(e));
        return names;
    }

    private ConfigException relocate(ConfigException e) {
        return e.line() > 0 || line() <= 0 ? e : new ConfigException(e.key(), e.getMessage().substring(e.key().isEmpty() ? 0 : e.key().length() + 2), line());
    }

    /** How a value looks in a message: {@code 'text'}, or its kind (number, boolean, object, array). */
    public String kind() {
        if (json == null || json.isNull()) return "nothing";
        return json.isTextual() ? "'" + json.asText() + "'" : json.getNodeType().name().toLowerCase(Locale.ROOT)
                .replace("object", "a mapping").replace("array", "a list");
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    @Override
    public String toString() {
        return path + "=" + json;
    }
}
