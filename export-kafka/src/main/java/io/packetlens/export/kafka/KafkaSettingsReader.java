package io.packetlens.export.kafka;

import io.packetlens.config.ConfigException;
import io.packetlens.config.ConfigNode;
import io.packetlens.config.ConfigValues;
import io.packetlens.export.ExporterSettings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and checks a {@code type: kafka} section into {@link KafkaSettings}, connecting to nothing: hosts are looked
 * up, the passed-through producer properties are checked by Kafka's own configuration parser, and every problem is a
 * {@link ConfigException} naming its key.
 */
final class KafkaSettingsReader {
    static final Set<String> KEYS = Set.of("bootstrap-servers", "topic", "events-topic", "acks", "batch-size", "linger",
            "compression", "delivery-timeout", "buffer-memory", "max-block", "client-id", "properties");

    /** Producer settings that have a key of their own in the section. */
    private static final Map<String, String> OWN_KEYS = Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "bootstrap-servers",
            ProducerConfig.ACKS_CONFIG, "acks",
            ProducerConfig.BATCH_SIZE_CONFIG, "batch-size",
            ProducerConfig.LINGER_MS_CONFIG, "linger",
            ProducerConfig.COMPRESSION_TYPE_CONFIG, "compression",
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "delivery-timeout",
            ProducerConfig.BUFFER_MEMORY_CONFIG, "buffer-memory",
            ProducerConfig.MAX_BLOCK_MS_CONFIG, "max-block",
            ProducerConfig.CLIENT_ID_CONFIG, "client-id");

    /** Producer settings packetlens fixes, with the reason. */
    private static final Map<String, String> FIXED = Map.of(
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "set by packetlens (keys are text, see docs/KAFKA.md)",
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "set by packetlens (values are JSON records, see docs/KAFKA.md)",
            ProducerConfig.TRANSACTIONAL_ID_CONFIG, "not supported: packetlens does not write in transactions");

    private static final Set<String> FILE_SETTINGS = Set.of("ssl.keystore.location", "ssl.truststore.location");
    /** Kafka's legal topic names. */
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    /** How Kafka's ConfigException names the setting it refuses. */
    private static final Pattern KAFKA_KEY = Pattern.compile("for configuration ([^\\s:]+)");

    private KafkaSettingsReader() {}

    static KafkaSettings read(ConfigNode section) {
        KafkaLogging.quiet(); // before Kafka's parser, which logs every setting at INFO
        List<InetSocketAddress> servers = bootstrapServers(section.required("bootstrap-servers",
                "HOST:PORT of one or more brokers, as a list or separated by commas"));
        String topic = topic(section.required("topic", "the topic to write flow records to"));
        String eventsTopic = section.optional("events-topic", KafkaSettingsReader::topic, null);
        String acks = section.optional("acks", KafkaSettingsReader::acks, KafkaSettings.DEFAULT_ACKS);
        long batch = section.optional("batch-size", n -> n.size(1), (long) KafkaSettings.DEFAULT_BATCH_SIZE);
        if (batch > 16L << 20) throw section.error("batch-size", "must be at most 16MiB, got " + batch + " bytes");
        Duration linger = section.optional("linger", ConfigNode::duration, KafkaSettings.DEFAULT_LINGER);
        Compression compression = section.optional("compression", KafkaSettingsReader::compression, Compression.NONE);
        Duration delivery = section.optional("delivery-timeout", ConfigNode::duration, KafkaSettings.DEFAULT_DELIVERY_TIMEOUT);
        if (delivery.compareTo(linger) <= 0) {
            throw section.error("delivery-timeout", "must be longer than linger (" + linger.toMillis() + "ms)");
        }
        long buffer = section.optional("buffer-memory", n -> n.size(64 << 10), KafkaSettings.DEFAULT_BUFFER_MEMORY);
        if (buffer < batch) throw section.error("buffer-memory", "must be at least batch-size (" + batch + " bytes)");
        Duration maxBlock = section.optional("max-block", ConfigNode::duration, KafkaSettings.DEFAULT_MAX_BLOCK);
        if (maxBlock.compareTo(Duration.ofSeconds(10)) > 0) {
            throw section.error("max-block", "must be at most 10s: the exporter's thread waits that long when the producer is full");
        }
        String name = section.optional("name", ConfigNode::string, "kafka");
        String clientId = section.optional("client-id", ConfigNode::string, "packetlens-" + name);
        Map<String, String> properties = section.has("properties") ? properties(section.child("properties")) : Map.of();
        Duration flush = ExporterSettings.read(section).flushTimeout();
        Duration close = flush.compareTo(KafkaSettings.MAX_CLOSE_TIMEOUT) < 0 ? flush : KafkaSettings.MAX_CLOSE_TIMEOUT;
        KafkaSettings s = new KafkaSettings(servers, topic, eventsTopic, acks, (int) batch, linger, compression, delivery,
                buffer, maxBlock, close, clientId, properties);
        check(section, s);
        return s;
    }

    private static List<InetSocketAddress> bootstrapServers(ConfigNode node) {
        List<InetSocketAddress> out = new ArrayList<>();
        if (node.isList()) {
            for (ConfigNode item : node.list(false)) out.add(item.resolvedAddress(false));
        } else {
            for (String entry : node.string().split(",", -1)) {
                try {
                    out.add(ConfigValues.resolvedAddress(node.path(), entry.trim(), false));
                } catch (ConfigException e) {
                    String problem = e.getMessage().substring(e.key().length() + 2);
                    throw new ConfigException(node.path(), problem + (entry.isBlank() ? " (an empty entry)" : ""), node.line());
                }
            }
        }
        if (out.isEmpty()) throw node.error("expected at least one HOST:PORT");
        return out;
    }

    private static String topic(ConfigNode node) {
        String t = node.string();
        if (!TOPIC.matcher(t).matches() || t.equals(".") || t.equals("..")) {
            throw node.error("not a valid Kafka topic name: up to 249 of a-z A-Z 0-9 . _ -, got '" + t + "'");
        }
        return t;
    }

    private static String acks(ConfigNode node) {
        String v = node.json().asText().trim();
        if (!node.json().isValueNode() || !Set.of("all", "1", "0").contains(v)) {
            throw node.error("expected all, 1 or 0, got " + node.kind());
        }
        return v;
    }

    private static Compression compression(ConfigNode node) {
        Compression c = node.oneOf(Compression.class);
        if (!c.supported()) {
            throw node.error("'" + c.kafkaName() + "' needs a native library (" + c.nativeLibrary()
                    + ", JNI) and packetlens loads none; use gzip or none");
        }
        return c;
    }

    private static Map<String, String> properties(ConfigNode node) {
        if (!node.isMapping()) throw node.error("expected a mapping of Kafka producer settings, got " + node.kind());
        Set<String> known = ProducerConfig.configNames();
        Map<String, String> out = new HashMap<>();
        for (Iterator<String> it = node.json().fieldNames(); it.hasNext(); ) {
            String k = it.next();
            ConfigNode v = node.child(k);
            if (OWN_KEYS.containsKey(k)) throw node.error(k, "set it with the exporter's '" + OWN_KEYS.get(k) + "' key");
            if (FIXED.containsKey(k)) throw node.error(k, FIXED.get(k));
            if (!known.contains(k)) throw node.error(k, "not a Kafka producer setting");
            if (v.isNull() || !v.json().isValueNode()) throw v.error("expected a text, number or boolean value, got " + v.kind());
            String value = v.json().asText();
            if (FILE_SETTINGS.contains(k) && !Files.isReadable(Path.of(value))) {
                throw v.error("cannot read '" + value + "'");
            }
            out.put(k, value);
        }
        return out;
    }

    /** Lets Kafka's parser check every value (types, ranges, enums, classes, combinations) before anything runs. */
    private static void check(ConfigNode section, KafkaSettings s) {
        if (s.properties().containsKey(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)) {
            Duration request;
            try {
                request = s.requestTimeout();
            } catch (NumberFormatException e) {
                throw section.child("properties").error(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "expected milliseconds");
            }
            if (s.deliveryTimeout().compareTo(s.linger().plus(request)) < 0) {
                throw section.error("delivery-timeout", "must be at least linger + request.timeout.ms ("
                        + s.linger().plus(request).toMillis() + "ms)");
            }
        }
        Map<String, Object> p = new HashMap<>(s.producerProperties());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try {
            new ProducerConfig(p);
        } catch (org.apache.kafka.common.config.ConfigException e) {
            String message = "Kafka refuses the producer settings: " + e.getMessage();
            Matcher m = KAFKA_KEY.matcher(String.valueOf(e.getMessage()));
            String key = m.find() ? m.group(1) : culprit(p, s.properties().keySet());
            if (key != null && s.properties().containsKey(key)) throw section.child("properties").error(key, message);
            if (key != null && OWN_KEYS.containsKey(key)) throw section.error(OWN_KEYS.get(key), message);
            throw section.has("properties") ? section.error("properties", message) : section.error(message);
        }
    }

    /** The passed-through setting without which Kafka accepts the rest (a bad combination names no key), or null. */
    private static String culprit(Map<String, Object> all, Set<String> passed) {
        for (String k : passed) {
            Map<String, Object> without = new HashMap<>(all);
            without.remove(k);
            try {
                new ProducerConfig(without);
                return k;
            } catch (org.apache.kafka.common.config.ConfigException stillBad) {
                // not this one alone
            }
        }
        return null;
    }
}
