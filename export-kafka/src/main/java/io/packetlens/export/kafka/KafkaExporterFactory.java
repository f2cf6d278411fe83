package io.packetlens.export.kafka;

import io.packetlens.config.ConfigNode;
import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.export.ExporterFactory;

import java.util.Set;

/**
 * {@code type: kafka}: finished flows as JSON records on a Kafka topic ({@code bootstrap-servers}, {@code topic},
 * optionally {@code events-topic}, producer settings and passed-through {@code properties}; see docs/KAFKA.md).
 * The section is checked whole here, hosts looked up included; nothing connects before the exporter is opened.
 */
public final class KafkaExporterFactory implements ExporterFactory {
    @Override
    public String type() {
        return "kafka";
    }

    @Override
    public Set<String> keys() {
        return KafkaSettingsReader.KEYS;
    }

    @Override
    public Exporter create(ConfigNode section, ExportContext context) {
        KafkaSettings settings = KafkaSettingsReader.read(section);
        return new KafkaExporter(section.optional("name", ConfigNode::string, type()), settings, context);
    }
}
