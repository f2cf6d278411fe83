package io.packetlens.export.json;

import io.packetlens.config.ConfigNode;
import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.export.ExporterFactory;

import java.nio.file.Path;
import java.util.Set;

/** {@code type: file}: the JSON-lines flow log, with {@code path}, {@code max-size}, {@code keep} and {@code events}. */
public final class FileExporterFactory implements ExporterFactory {
    @Override
    public String type() {
        return "file";
    }

    @Override
    public Set<String> keys() {
        return Set.of("path", "max-size", "keep", "events");
    }

    @Override
    public Exporter create(ConfigNode section, ExportContext context) {
        Path path = Path.of(section.required("path", "the file to write flow records to").string());
        long max = section.optional("max-size", n -> n.size(1024), FileExporter.DEFAULT_MAX_BYTES);
        int keep = (int) section.optional("keep", n -> n.integer(0, 1000), (long) FileExporter.DEFAULT_KEEP).longValue();
        boolean events = section.optional("events", ConfigNode::bool, false);
        return new FileExporter(path, max, keep, events, context);
    }
}
