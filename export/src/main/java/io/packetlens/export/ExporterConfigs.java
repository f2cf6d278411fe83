package io.packetlens.export;

import io.packetlens.config.ConfigNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * Reads the {@code exporters:} list of a configuration into {@link Configured} exporters: each entry's
 * {@code type} picks an {@link ExporterFactory} found on the class path, which checks the whole entry.
 * Nothing connects here; a bad entry fails the whole list with a message naming its key.
 */
public final class ExporterConfigs {
    private ExporterConfigs() {}

    /** One checked exporter entry, ready to run. */
    public record Configured(String name, String type, ExporterSettings settings, Exporter exporter, ExportContext context) {
        public ExporterRunner start() {
            return ExporterRunner.start(name, type, settings, exporter, context);
        }
    }

    /** Every exporter type on the class path, by its {@code type:} name. */
    public static Map<String, ExporterFactory> factories() {
        Map<String, ExporterFactory> out = new TreeMap<>();
        for (ExporterFactory f : ServiceLoader.load(ExporterFactory.class, ExporterConfigs.class.getClassLoader())) {
            out.put(f.type(), f);
        }
        return out;
    }

    /** Reads the list; {@code names} gives interface names, {@code domain} the observation domain. */
    public static List<Configured> read(ConfigNode list, IntFunction<String> names, long domain) {
        Map<String, ExporterFactory> factories = factories();
        List<Configured> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try {
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
                ExportContext context = new ExportContext(names, domain);
                out.add(new Configured(name, type, settings, f.create(entry, context), context));
            }
        } catch (RuntimeException e) {
            out.forEach(c -> c.exporter().close());
            throw e;
        }
        return out;
    }
}
