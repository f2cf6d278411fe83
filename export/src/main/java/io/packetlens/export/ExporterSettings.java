package io.packetlens.export;

import io.packetlens.config.ConfigNode;

import java.time.Duration;

/**
 * How an exporter's runner queues and retries, common to every exporter type (the {@code queue:} and
 * {@code retry:} keys of an exporter's section).
 *
 * @param queueCapacity  records the queue holds before the drop policy applies
 * @param batchSize      records handed to one {@link Exporter#send} call at most
 * @param dropPolicy     what a full queue gives up
 * @param initialBackoff wait after the first failure; doubled after each further one
 * @param maxBackoff     the longest wait between attempts
 * @param flushTimeout   how long shutdown waits for the queue to drain before counting the rest as failed
 */
public record ExporterSettings(int queueCapacity, int batchSize, DropPolicy dropPolicy, Duration initialBackoff,
                               Duration maxBackoff, Duration flushTimeout) {
    /** Big enough for a whole default flow table finishing in one poll (65,536 records), twice over. */
    public static final int DEFAULT_QUEUE_CAPACITY = 131_072;

    public ExporterSettings {
        if (queueCapacity < 1) throw new IllegalArgumentException("queue capacity must be positive");
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive");
        if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must be positive and max >= initial");
        }
    }

    public static ExporterSettings defaults() {
        return new ExporterSettings(DEFAULT_QUEUE_CAPACITY, 1024, DropPolicy.DROP_NEWEST, Duration.ofMillis(100),
                Duration.ofSeconds(30), Duration.ofSeconds(5));
    }

    /** Reads the {@code queue:} and {@code retry:} keys of an exporter's section (the caller allows them). */
    public static ExporterSettings read(ConfigNode section) {
        ExporterSettings d = defaults();
        int capacity = d.queueCapacity, batch = d.batchSize;
        DropPolicy policy = d.dropPolicy;
        Duration initial = d.initialBackoff, max = d.maxBackoff, flush = d.flushTimeout;
        if (section.has("queue")) {
            ConfigNode q = section.child("queue").allow("capacity", "batch", "drop-policy", "flush-timeout");
            capacity = (int) q.optional("capacity", n -> n.integer(1, 1 << 24), (long) capacity).longValue();
            batch = (int) q.optional("batch", n -> n.integer(1, 1 << 20), (long) batch).longValue();
            policy = q.optional("drop-policy", n -> n.oneOf(DropPolicy.class), policy);
            flush = q.optional("flush-timeout", ConfigNode::duration, flush);
        }
        if (section.has("retry")) {
            ConfigNode r = section.child("retry").allow("initial-backoff", "max-backoff");
            initial = r.optional("initial-backoff", ConfigNode::duration, initial);
            max = r.optional("max-backoff", ConfigNode::duration, max);
            if (max.compareTo(initial) < 0) throw r.error("max-backoff", "must not be shorter than initial-backoff (" + initial + ")");
        }
        return new ExporterSettings(capacity, batch, policy, initial, max, flush);
    }

    public ExporterSettings queueCapacity(int n) {
        return new ExporterSettings(n, batchSize, dropPolicy, initialBackoff, maxBackoff, flushTimeout);
    }

    public ExporterSettings dropPolicy(DropPolicy p) {
        return new ExporterSettings(queueCapacity, batchSize, p, initialBackoff, maxBackoff, flushTimeout);
    }

    public ExporterSettings backoff(Duration initial, Duration max) {
        return new ExporterSettings(queueCapacity, batchSize, dropPolicy, initial, max, flushTimeout);
    }

    public ExporterSettings flushTimeout(Duration d) {
        return new ExporterSettings(queueCapacity, batchSize, dropPolicy, initialBackoff, maxBackoff, d);
    }
}
