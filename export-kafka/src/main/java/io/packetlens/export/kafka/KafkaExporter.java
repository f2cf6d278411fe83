package io.packetlens.export.kafka;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.export.PartialSendException;
import io.packetlens.export.json.EventJson;
import io.packetlens.export.json.FlowJson;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowEvent;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes finished flows (and, with an events topic, flow events) to Kafka as JSON records, keyed by flow
 * ({@link RecordKey}). The producer sends asynchronously; each record's outcome comes back through a callback and is
 * reported to the {@link ExportContext} as delivered or failed. Only the runner's thread calls the producer, and no
 * call waits long: a send waits at most {@code max-block}. A batch that the producer cannot take (its bounded buffer
 * is full, or the brokers are gone and the topic's metadata with them) is refused, from the first record the producer
 * could not take, so the runner keeps the rest in hand and retries them; records already with the producer fail after
 * the delivery timeout instead of piling up.
 */
public final class KafkaExporter implements Exporter {
    private static final System.Logger LOG = System.getLogger("packetlens.export.kafka");
    /** A record's overhead in the producer's buffer besides key and value (record header, batch share). */
    private static final int RECORD_OVERHEAD = 64;
    private static final long FAILURE_LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final String name;
    private final KafkaSettings settings;
    private final ExportContext context;
    private final JsonFactory json = new JsonFactory();
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
    private final Callback callback = this::completed;
    private final AtomicLong failuresToLog = new AtomicLong();
    private final AtomicReference<Exception> lastFailure = new AtomicReference<>();
    private long lastFailureLog = System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS;
    private Producer<String, byte[]> producer;
    private Metric bufferAvailable;
    /** The runner's thread while it is inside {@code producer.send}, else null. */
    private volatile Thread sending;
    /** A failure the producer reported inside {@code send()}, for {@link #handOver}; runner thread only. */
    private Exception immediate;

    public KafkaExporter(String name, KafkaSettings settings, ExportContext context) {
        this.name = name;
        this.settings = settings;
        this.context = context;
        KafkaLogging.quiet();
    }

    public KafkaSettings settings() {
        return settings;
    }

    /**
     * Creates the producer (once) and waits up to {@code max-block} for the topics' metadata: the runner retries with
     * backoff until the brokers answer, and reports the reason (unreachable, unknown topic, authentication) meanwhile.
     */
    @Override
    public void open() throws IOException {
        if (producer == null) {
            try {
                producer = new KafkaProducer<>(settings.producerProperties(), new StringSerializer(), new ByteArraySerializer());
            } catch (KafkaException e) {
                throw new IOException("cannot create the Kafka producer: " + message(e), e);
            }
            bufferAvailable = producer.metrics().entrySet().stream()
                    .filter(e -> e.getKey().name().equals("buffer-available-bytes") && e.getKey().group().equals("producer-metrics"))
                    .map(java.util.Map.Entry::getValue).findFirst().orElse(null);
        }
        metadata(settings.topic());
        if (settings.eventsTopic() != null) metadata(settings.eventsTopic());
    }

    private void metadata(String topic) throws IOException {
        try {
            producer.partitionsFor(topic);
        } catch (KafkaException e) {
            throw new IOException("topic '" + topic + "' at " + settings.bootstrapString() + ": " + message(e), e);
        }
    }

    @Override
    public void send(List<FinishedFlow> flows) throws IOException {
        if (producer == null) throw new IOException("the producer was closed after an error");
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(flows.size());
        long bytes = 0;
        for (FinishedFlow f : flows) {
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(settings.topic(), RecordKey.of(f.key()), encode(f));
            bytes += r.value().length + r.key().length() + RECORD_OVERHEAD;
            records.add(r);
        }
        // refuse the whole batch up front while the buffer is nearly full, rather than block max-block on its first record;
        // a batch larger than half the buffer goes in once half is free, and waits (max-block) for the rest as it drains
        double available = bufferAvailable == null ? Double.MAX_VALUE : ((Number) bufferAvailable.metricValue()).doubleValue();
        if (available < Math.min(bytes + 2L * settings.batchSize(), settings.bufferMemory() / 2)) {
            throw new IOException("the producer's buffer is full (" + (long) available + " of " + settings.bufferMemory()
                    + " bytes free): records wait for the broker's acknowledgements");
        }
        handOver(records, true);
    }

    /** Events never hold the queue: when the producer cannot take them they count as failed at once. */
    @Override
    public void sendEvents(List<FlowEvent> events) {
        if (producer == null) {
            fail(events.size(), new IOException("the producer was closed after an error"));
            return;
        }
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(events.size());
        for (FlowEvent e : events) {
            String line = EventJson.toLine(e, context.interfaceName(e.key().ifindex()));
            records.add(new ProducerRecord<>(settings.eventsTopic(), RecordKey.of(e.key()), line.getBytes(StandardCharsets.UTF_8)));
        }
        try {
            handOver(records, false);
        } catch (IOException cannotHappen) {
            throw new IllegalStateException(cannotHappen); // handOver refuses only when allowed to
        }
    }

    /**
     * Hands every record to the producer, or accounts for it. A send can fail at once, inside {@code send()}: no room
     * in the buffer within max-block, or no metadata for the topic (the brokers are gone). In a flow batch that hands
     * the runner back the records from that one on ({@link PartialSendException}: the ones before it are with the
     * producer, and the runner retries only the rest), so a buffer that fills part way through a batch fails nothing
     * before its delivery timeout. Events, which never hold the queue, count as failed from that record on.
     */
    private void handOver(List<ProducerRecord<String, byte[]>> records, boolean mayRefuse) throws IOException {
        for (int i = 0; i < records.size(); i++) {
            immediate = null;
            sending = Thread.currentThread();
            try {
                producer.send(records.get(i), callback);
            } catch (KafkaException | IllegalStateException e) {
                // a producer in a fatal state: this record and the rest fail, the next call reopens a new producer
                fail(records.size() - i, e);
                discardProducer();
                return;
            } finally {
                sending = null;
            }
            Exception e = immediate;
            if (e == null) continue;
            if (!(e instanceof TimeoutException)) {
                fail(1, e); // this record only (too large, say)
            } else if (mayRefuse) {
                throw new PartialSendException(i, message(e), e);
            } else {
                fail(records.size() - i, e);
                return;
            }
        }
    }

    private byte[] encode(FinishedFlow f) throws IOException {
        buffer.reset();
        try (JsonGenerator g = json.createGenerator(buffer, JsonEncoding.UTF8)) {
            FlowJson.write(g, f, context.interfaceName(f.key().ifindex()));
        }
        return buffer.toByteArray();
    }

    /**
     * The producer's callback, on its I/O thread; or inside {@code send()} on the runner's thread when the send fails at
     * once, which {@link #handOver} then decides about.
     */
    private void completed(RecordMetadata metadata, Exception e) {
        if (e != null && Thread.currentThread() == sending) {
            immediate = e;
            return;
        }
        if (e == null) {
            context.delivered(1);
        } else {
            fail(1, e);
        }
    }

    private void fail(long records, Exception cause) {
        context.failed(records, cause);
        lastFailure.set(cause);
        failuresToLog.addAndGet(records);
    }

    /** Logs undelivered records, at most once per 10 s, from the runner's thread. */
    @Override
    public void tick(long nowNanos) {
        if (nowNanos - lastFailureLog >= FAILURE_LOG_INTERVAL_NANOS) logFailures(nowNanos);
    }

    private void logFailures(long nowNanos) {
        long n = failuresToLog.getAndSet(0);
        if (n == 0) return;
        lastFailureLog = nowNanos;
        LOG.log(System.Logger.Level.WARNING, "exporter " + name + ": " + n + " record(s) not delivered to Kafka ("
                + settings.bootstrapString() + "): " + message(lastFailure.get()));
    }

    @Override
    public boolean wantsEvents() {
        return settings.eventsTopic() != null;
    }

    @Override
    public boolean reportsDelivery() {
        return true;
    }

    private void discardProducer() {
        Producer<String, byte[]> p = producer;
        producer = null;
        bufferAvailable = null;
        try {
            p.close(Duration.ZERO); // fails what it still holds, through the callbacks
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "exporter " + name + ": closing a broken producer: " + message(e));
        }
    }

    /**
     * Waits up to the close timeout for outstanding acknowledgements, then closes the producer; what it still holds
     * is aborted and counted failed by the callbacks before this returns.
     */
    @Override
    public void close() {
        if (producer != null) {
            Producer<String, byte[]> p = producer;
            producer = null;
            try {
                p.close(settings.closeTimeout());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "exporter " + name + ": closing the producer: " + message(e));
            }
        }
        logFailures(System.nanoTime());
    }

    private static String message(Throwable e) {
        if (e == null) return "unknown error";
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
