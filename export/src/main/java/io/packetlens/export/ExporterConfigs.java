package io.packetlens.export;

import io.packetlens.config.ConfigNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads the {@code exporters:} list of a configuration into {@link ExporterSpec}s: each entry's {@code type} picks an
 * {@link ExporterFactory} found on the class path, which checks the whole entry. Nothing connects here; a bad entry
 * fails the whole list with a message naming its key.
 */
public final class ExporterConfigs {
    private ExporterConfigs() {}

    /** Every exporter type on the class path, by its {@code type:} name. */
    public static Map<String, ExporterFactory> factories() {
        Map<String, ExporterFactory> out = new TreeMap<>();
        for (ExporterFactory f : ServiceLoader.load(ExporterFactory.class, ExporterConfigs.class.getClassLoader())) {
            out.put(f.type(), f);
        }
        return out;
    }

    /**
     * Reads the list. Each entry is checked by making one exporter from it (which must not connect) and closing it
     * again, so that every configuration error surfaces here, before the agent attaches anything.
     */
    public static List<ExporterSpec> read(ConfigNode list) {
        Map<String, ExporterFactory> factories = factories();
        List<ExporterSpec> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (ConfigNode entry : list.list(false)) {
            if (!entry.isMapping()) throw entry.error("expected an exporter with 'type' (one of " + String.join(", ", factories.keySet()) + ")");
            String type = entry.required("type", "one of " + String.join(", ", factories.keySet())).string();
            ExporterFactory f = factories.get(type);
            if (f == null) {
                throw entry.error("type", "unknown exporter type '" + type + "' (known: " + String.join(", ", factories.keySet()) + ")");
            }
            Set<String> keys = new HashSet<>(f.keys());
            keys.addAll(Set.of("type", "name", "queue", "retry"));
            entry.allow(keys, Map.of());
            String name = entry.optional("name", ConfigNode::string, type);
            if (!seen.add(name)) {
                throw entry.error(entry.has("name") ? "name" : "type", "a second exporter named '" + name + "': give each one a distinct 'name'");
            }
            ExporterSettings settings = ExporterSettings.read(entry);
            f.create(entry, ExportContext.standalone()).close();
            out.add(new ExporterSpec(name, type, settings, ctx -> f.create(entry, ctx)));
        }
        return out;
    }
}
