package io.packetlens.export.json;

import io.packetlens.config.ConfigNode;
import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.export.ExporterFactory;

import java.util.Set;

/** {@code type: stdout}: finished flows (and, with {@code events: true}, events) as JSON lines on standard output. */
public final class StdoutExporterFactory implements ExporterFactory {
    @Override
    public String type() {
        return "stdout";
    }

    @Override
    public Set<String> keys() {
        return Set.of("events");
    }

    @Override
    public Exporter create(ConfigNode section, ExportContext context) {
        return stdout(section.optional("events", ConfigNode::bool, false), context);
    }

    /** An exporter writing to {@link System#out} as it is now: one write and one flush per batch. */
    public static Exporter stdout(boolean events, ExportContext context) {
        return new StreamExporter(System.out, events, context);
    }
}
