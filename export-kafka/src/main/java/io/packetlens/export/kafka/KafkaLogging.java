package io.packetlens.export.kafka;

import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Keeps the Kafka client's logging to warnings and errors. Kafka logs through SLF4J, bound here to
 * java.util.logging (slf4j-jdk14), where packetlens' own System.Logger output goes too; its INFO lines (every
 * producer setting, versions, each connection) would otherwise fill the user's terminal. A level configured for
 * {@code org.apache.kafka} in a logging.properties wins.
 */
public final class KafkaLogging {
    /** Held so that the level stays: java.util.logging keeps loggers only weakly. */
    private static final Logger KAFKA = Logger.getLogger("org.apache.kafka");

    static {
        if (LogManager.getLogManager().getProperty("org.apache.kafka.level") == null && KAFKA.getLevel() == null) {
            KAFKA.setLevel(Level.WARNING);
        }
    }

    private KafkaLogging() {}

    /** Applies the level (once; later calls do nothing). */
    public static void quiet() {
        // the static initializer did the work
    }
}
