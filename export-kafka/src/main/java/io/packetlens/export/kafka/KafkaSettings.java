package io.packetlens.export.kafka;

import org.apache.kafka.clients.producer.ProducerConfig;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A checked {@code type: kafka} exporter section: where the producer connects, which topics it writes, and the
 * producer settings derived from it. {@link #producerProperties()} is everything the producer is given.
 *
 * @param bootstrapServers brokers to start from, resolved when the configuration was read
 * @param topic            the topic flow records go to
 * @param eventsTopic      the topic flow events go to, or null to export no events
 * @param acks             {@code all}, {@code 1} or {@code 0}
 * @param batchSize        bytes per partition batch (producer {@code batch.size})
 * @param linger           how long the producer waits to fill a batch ({@code linger.ms})
 * @param compression      batch compression
 * @param deliveryTimeout  how long a record may wait for its acknowledgement before it counts as failed
 * @param bufferMemory     bytes the producer holds for records not yet acknowledged ({@code buffer.memory})
 * @param maxBlock         the longest a send may wait for room or for topic metadata ({@code max.block.ms})
 * @param closeTimeout     how long closing waits for outstanding acknowledgements
 * @param clientId         the producer's {@code client.id}
 * @param properties       further producer settings passed through (TLS, SASL, ...), as configured
 */
public record KafkaSettings(List<InetSocketAddress> bootstrapServers, String topic, String eventsTopic, String acks,
                            int batchSize, Duration linger, Compression compression, Duration deliveryTimeout,
                            long bufferMemory, Duration maxBlock, Duration closeTimeout, String clientId,
                            Map<String, String> properties) {
    public static final String DEFAULT_ACKS = "all";
    public static final int DEFAULT_BATCH_SIZE = 64 << 10;
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(20);
    public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_BUFFER_MEMORY = 32L << 20;
    public static final Duration DEFAULT_MAX_BLOCK = Duration.ofMillis(500);
    /** Closing never waits longer than this, so that it ends within the runner's grace after its flush timeout. */
    public static final Duration MAX_CLOSE_TIMEOUT = Duration.ofMillis(1500);
    /** Kafka's own default, which a short delivery timeout lowers. */
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    public KafkaSettings {
        bootstrapServers = List.copyOf(bootstrapServers);
        properties = Map.copyOf(properties);
    }

    /** The brokers as the producer's {@code bootstrap.servers} value. */
    public String bootstrapString() {
        return bootstrapServers.stream().map(KafkaSettings::hostPort).collect(Collectors.joining(","));
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** The request timeout: as passed through, else Kafka's 30 s shortened to fit the delivery timeout. */
    public Duration requestTimeout() {
        String v = properties.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG);
        if (v != null) return Duration.ofMillis(Long.parseLong(v.trim()));
        Duration fit = deliveryTimeout.minus(linger);
        return fit.compareTo(DEFAULT_REQUEST_TIMEOUT) < 0 ? fit : DEFAULT_REQUEST_TIMEOUT;
    }

    /** Everything the producer is configured with (serializers aside, which the exporter passes as objects). */
    public Map<String, Object> producerProperties() {
        Map<String, Object> p = new HashMap<>(properties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapString());
        p.put(ProducerConfig.ACKS_CONFIG, acks);
        // idempotence (no duplicates from the producer's own retries) needs acks=all; say so rather than let Kafka decide
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, Boolean.toString(acks.equals("all")));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(batchSize));
        p.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(linger.toMillis()));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression.kafkaName());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(deliveryTimeout.toMillis()));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(requestTimeout().toMillis()));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(bufferMemory));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(maxBlock.toMillis()));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return p;
    }
}
