package io.packetlens.export;

import io.packetlens.config.ConfigNode;

/**
 * Makes exporters of one type from their configuration section ({@code type: ipfix}). Factories are
 * found with {@link java.util.ServiceLoader}, so an exporter module on the class path adds its type,
 * and an agent without it (the demo) never loads its client library.
 */
public interface ExporterFactory {
    /** The {@code type:} value this factory handles. */
    String type();

    /**
     * Reads and checks the whole section (unknown keys, bad ports, unknown hosts, missing settings are
     * {@link io.packetlens.config.ConfigException}s naming the key) and returns an exporter that has
     * not connected yet: nothing may be opened before {@link Exporter#open()}.
     */
    Exporter create(ConfigNode section, ExportContext context);

    /** Keys of the section besides {@code type}, {@code name}, {@code queue} and {@code retry}. */
    java.util.Set<String> keys();
}
