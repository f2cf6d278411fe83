package io.packetlens.export.kafka;

import io.packetlens.config.ConfigNode;
import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.export.ExporterConfigs;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterSpec;

import java.util.List;
import java.util.function.IntFunction;

/** An exporter made from a configured {@link ExporterSpec} as the agent makes it, kept inspectable for tests. */
record Configured(String name, String type, ExporterSettings settings, Exporter exporter, ExportContext context) {
    /** Reads an {@code exporters:} list and makes each exporter with the given names and observation domain. */
    static List<Configured> read(ConfigNode list, IntFunction<String> names, long domain) {
        return ExporterConfigs.read(list).stream().map(s -> make(s, names, domain)).toList();
    }

    private static Configured make(ExporterSpec spec, IntFunction<String> names, long domain) {
        ExportContext ctx = new ExportContext(names, domain);
        return new Configured(spec.name(), spec.type(), spec.settings(), spec.factory().apply(ctx), ctx);
    }

    ExporterRunner start() {
        return ExporterRunner.start(name, type, settings, exporter, context);
    }
}
