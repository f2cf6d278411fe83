package io.packetlens.bench;

/** Which exporters one run of the export benchmark configures in its agent. */
enum ExportMode {
    IPFIX(true, false), KAFKA(false, true), BOTH(true, true);

    final boolean ipfix;
    final boolean kafka;

    ExportMode(boolean ipfix, boolean kafka) {
        this.ipfix = ipfix;
        this.kafka = kafka;
    }

    String label() {
        return switch (this) {
            case IPFIX -> "IPFIX alone";
            case KAFKA -> "Kafka alone";
            case BOTH -> "IPFIX + Kafka";
        };
    }
}
