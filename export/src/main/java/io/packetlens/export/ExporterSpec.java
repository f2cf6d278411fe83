package io.packetlens.export;

import java.util.Objects;
import java.util.function.Function;

/**
 * One exporter as configured, before anything runs: its name, type, queue and retry settings, and how to make it for
 * a context. Reading a configuration yields specs (each already checked by making and discarding one exporter); the
 * agent makes the real exporters when it starts.
 */
public record ExporterSpec(String name, String type, ExporterSettings settings, Function<ExportContext, Exporter> factory) {
    public ExporterSpec {
        Objects.requireNonNull(name);
        Objects.requireNonNull(type);
        Objects.requireNonNull(settings);
        Objects.requireNonNull(factory);
    }

    /** Makes the exporter for {@code context} and starts its runner. */
    public ExporterRunner start(ExportContext context) {
        return ExporterRunner.start(name, type, settings, factory.apply(context), context);
    }
}
