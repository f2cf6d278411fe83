package io.packetlens.export.kafka;

import io.packetlens.config.ConfigDocument;
import io.packetlens.config.ConfigException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reading {@code type: kafka} sections: bad ones are refused with the key named, good ones give an exporter that has
 * connected to nothing. A plain TCP listener stands where the brokers would be and notices any connection; the last
 * test shows that it does notice one once an exporter is opened.
 */
class KafkaConfigTest {
    /** Where the configurations point their brokers: anything that connects here is seen. */
    private static ServerSocket listener;
    private static final int CLOSED_PORT = 19111;

    @BeforeAll
    static void listen() throws IOException {
        listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 19110));
    }

    @AfterAll
    static void close() throws IOException {
        listener.close();
    }

    private static String servers() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    private static List<Configured> read(String section) {
        String yaml = "exporters:\n  - type: file\n    path: /tmp/pl-kafka-never-written.jsonl\n  - type: kafka\n" + section.indent(4);
        return Configured.read(ConfigDocument.parse(yaml).root().child("exporters"), i -> "if" + i, 0);
    }

    private static void refused(String section, String key, String... words) {
        assertThatThrownBy(() -> read(section)).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key))
                .message().contains(words);
    }

    /** Nothing has connected to the listener, and no producer thread runs. */
    private static void nothingConnected() throws IOException {
        listener.setSoTimeout(300);
        try (Socket s = listener.accept()) {
            throw new AssertionError("something connected from " + s.getRemoteSocketAddress());
        } catch (SocketTimeoutException expected) {
            // nobody came
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("kafka-producer-network-thread"));
    }

    @Test
    void aGoodSectionGivesAnUnopenedExporterWithItsSettings() throws IOException {
        List<Configured> all = read("""
                name: to-kafka
                bootstrap-servers: %s, localhost:%d
                topic: flows
                events-topic: flow-events
                acks: 1
                batch-size: 32KiB
                linger: 5ms
                compression: gzip
                delivery-timeout: 10s
                buffer-memory: 8MiB
                max-block: 200ms
                queue: {flush-timeout: 1s}
                properties:
                  security.protocol: PLAINTEXT
                  retries: 7
                  enable.idempotence: false
                """.formatted(servers(), listener.getLocalPort()));
        Configured c = all.get(1);
        assertThat(c.name()).isEqualTo("to-kafka");
        assertThat(c.type()).isEqualTo("kafka");
        KafkaExporter e = (KafkaExporter) c.exporter();
        assertThat(e.wantsEvents()).isTrue();
        assertThat(e.reportsDelivery()).isTrue();
        KafkaSettings s = e.settings();
        assertThat(s.closeTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.producerProperties()).containsAllEntriesOf(Map.of(
                "bootstrap.servers", servers() + ",localhost:" + listener.getLocalPort(),
                "acks", "1", "enable.idempotence", "false", "batch.size", "32768", "linger.ms", "5",
                "compression.type", "gzip", "delivery.timeout.ms", "10000", "request.timeout.ms", "9995",
                "buffer.memory", Long.toString(8L << 20)))
                .containsEntry("max.block.ms", "200").containsEntry("client.id", "packetlens-to-kafka")
                .containsEntry("security.protocol", "PLAINTEXT").containsEntry("retries", "7");
        nothingConnected();
        c.exporter().close();
    }

    @Test
    void defaultsAreAtLeastOnceWithIdempotenceAndBoundedWaits() throws IOException {
        KafkaSettings s = ((KafkaExporter) read("bootstrap-servers: [" + servers() + "]\ntopic: flows").get(1).exporter()).settings();
        assertThat(s.eventsTopic()).isNull();
        assertThat(s.producerProperties()).containsAllEntriesOf(Map.of("acks", "all", "enable.idempotence", "true",
                "compression.type", "none", "linger.ms", "20", "batch.size", "65536", "delivery.timeout.ms", "30000",
                "request.timeout.ms", "29980", "buffer.memory", Long.toString(32L << 20), "max.block.ms", "500",
                "client.id", "packetlens-kafka"));
        assertThat(s.closeTimeout()).isEqualTo(KafkaSettings.MAX_CLOSE_TIMEOUT);
        nothingConnected();
    }

    @Test
    void missingSettingsAndBadAddressesNameTheirKey() throws IOException {
        refused("bootstrap-servers: " + servers(), "exporters[1].topic", "required");
        refused("topic: flows", "exporters[1].bootstrap-servers", "required");
        refused("bootstrap-servers: 127.0.0.1:99999\ntopic: flows", "exporters[1].bootstrap-servers", "port must be 0..65535");
        refused("bootstrap-servers: 127.0.0.1:0\ntopic: flows", "exporters[1].bootstrap-servers", "port must be 1..65535");
        refused("bootstrap-servers: 127.0.0.1:kafka\ntopic: flows", "exporters[1].bootstrap-servers", "expected a port number");
        refused("bootstrap-servers: broker-without-port\ntopic: flows", "exporters[1].bootstrap-servers", "expected HOST:PORT");
        refused("bootstrap-servers: '" + servers() + ",'\ntopic: flows", "exporters[1].bootstrap-servers", "an empty entry");
        refused("bootstrap-servers: [" + servers() + ", '127.0.0.1:x']\ntopic: flows", "exporters[1].bootstrap-servers[1]",
                "expected a port number");
        refused("bootstrap-servers: no-such-host.invalid:9092\ntopic: flows", "exporters[1].bootstrap-servers",
                "unknown host 'no-such-host.invalid'");
        refused("bootstrap-servers: " + servers() + "\ntopic: 'flows/v1'", "exporters[1].topic", "not a valid Kafka topic name");
        refused("bootstrap-servers: " + servers() + "\ntopic: flows\nevents-topic: ''", "exporters[1].events-topic", "not a valid");
        nothingConnected();
    }

    @Test
    void unknownKeysAndUnsupportedValuesAreRefused() throws IOException {
        String base = "bootstrap-servers: " + servers() + "\ntopic: flows\n";
        refused(base + "topics: more", "exporters[1].topics", "unknown option");
        for (String codec : List.of("snappy", "lz4", "zstd")) {
            refused(base + "compression: " + codec, "exporters[1].compression", "needs a native library", "use gzip or none");
        }
        refused(base + "compression: brotli", "exporters[1].compression", "expected one of");
        refused(base + "acks: 2", "exporters[1].acks", "expected all, 1 or 0");
        refused(base + "linger: 0", "exporters[1].linger", "longer than zero");
        refused(base + "linger: 2s\ndelivery-timeout: 1s", "exporters[1].delivery-timeout", "longer than linger");
        refused(base + "batch-size: 1MiB\nbuffer-memory: 512KiB", "exporters[1].buffer-memory", "at least batch-size");
        refused(base + "max-block: 1m", "exporters[1].max-block", "at most 10s");
        nothingConnected();
    }

    @Test
    void passedThroughPropertiesAreCheckedByKafkasOwnParser() throws IOException {
        String base = "bootstrap-servers: " + servers() + "\ntopic: flows\nproperties:\n";
        refused(base + "  key.serializer: x", "exporters[1].properties.key.serializer", "set by packetlens");
        refused(base + "  value.serializer: x", "exporters[1].properties.value.serializer", "set by packetlens");
        refused(base + "  transactional.id: t", "exporters[1].properties.transactional.id", "not supported");
        refused(base + "  acks: all", "exporters[1].properties.acks", "'acks' key");
        refused(base + "  linger.ms: 5", "exporters[1].properties.linger.ms", "'linger' key");
        refused(base + "  bootstrap.servers: x:1", "exporters[1].properties.bootstrap.servers", "'bootstrap-servers' key");
        refused(base + "  lingr.ms: 5", "exporters[1].properties.lingr.ms", "not a Kafka producer setting");
        refused(base + "  security.protocol: SMOKE_SIGNALS", "exporters[1].properties.security.protocol", "Kafka refuses");
        refused(base + "  retries: lots", "exporters[1].properties.retries", "Kafka refuses");
        refused(base + "  ssl.truststore.location: /tmp/pl-kafka-no-such-truststore.jks",
                "exporters[1].properties.ssl.truststore.location", "cannot read");
        refused(base + "  sasl.mechanism: {a: b}", "exporters[1].properties.sasl.mechanism", "expected a text");
        refused(base + "  request.timeout.ms: 60000", "exporters[1].delivery-timeout", "linger + request.timeout.ms");
        refused("bootstrap-servers: " + servers() + "\ntopic: flows\nacks: 1\nproperties:\n  enable.idempotence: true",
                "exporters[1].properties.enable.idempotence", "Kafka refuses");
        refused(base + "  - not-a-mapping", "exporters[1].properties", "expected a mapping");
        nothingConnected();
    }

    @Test
    void aReadableTruststoreIsTakenAsIs() throws IOException {
        Path store = Files.createTempFile(Path.of("/tmp"), "pl-kafka-truststore-", ".jks");
        try {
            KafkaSettings s = ((KafkaExporter) read("bootstrap-servers: " + servers() + "\ntopic: flows\nproperties:\n"
                    + "  security.protocol: SSL\n  ssl.truststore.location: " + store + "\n  ssl.truststore.password: secret")
                    .get(1).exporter()).settings();
            assertThat(s.producerProperties()).containsEntry("ssl.truststore.location", store.toString())
                    .containsEntry("security.protocol", "SSL");
        } finally {
            Files.delete(store);
        }
        nothingConnected();
    }

    /** The listener does see a producer: opening connects, and fails within max-block against a non-broker. */
    @Test
    void openingConnectsAndKafkaLogsOnlyWarningsThroughJavaUtilLogging() throws Exception {
        List<LogRecord> kafkaLog = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public synchronized void publish(LogRecord r) {
                kafkaLog.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger kafka = Logger.getLogger("org.apache.kafka");
        kafka.addHandler(capture);
        try {
            KafkaExporter silent = (KafkaExporter) read("bootstrap-servers: " + servers() + "\ntopic: flows\nmax-block: 300ms")
                    .get(1).exporter();
            long t0 = System.nanoTime();
            assertThatThrownBy(silent::open).isInstanceOf(IOException.class).hasMessageContaining("topic 'flows' at " + servers());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
            listener.setSoTimeout(2000);
            try (Socket s = listener.accept()) {
                assertThat(s.getInetAddress().isLoopbackAddress()).isTrue();
            }
            silent.close();

            KafkaExporter refused = (KafkaExporter) read("bootstrap-servers: 127.0.0.1:" + CLOSED_PORT
                    + "\ntopic: flows\nmax-block: 300ms").get(1).exporter();
            assertThatThrownBy(refused::open).isInstanceOf(IOException.class);
            refused.close();
        } finally {
            kafka.removeHandler(capture);
        }
        assertThat(LoggerFactory.getILoggerFactory().getClass().getName()).isEqualTo("org.slf4j.jul.JDK14LoggerFactory");
        assertThat(kafka.getLevel()).isEqualTo(Level.WARNING);
        synchronized (capture) {
            assertThat(kafkaLog).as("Kafka's INFO lines are held back").allMatch(r -> r.getLevel().intValue() >= Level.WARNING.intValue());
            assertThat(kafkaLog).as("its warnings pass: connection refused")
                    .anyMatch(r -> r.getLevel() == Level.WARNING && r.getMessage().contains("could not be established"));
        }
    }
}
