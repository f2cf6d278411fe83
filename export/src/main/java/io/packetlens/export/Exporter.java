package io.packetlens.export;

import io.packetlens.flow.FinishedFlow;
import io.packetlens.flow.FlowEvent;

import java.io.IOException;
import java.util.List;

/**
 * A destination for finished flow records (and, if it asks, flow events): an IPFIX collector, a
 * Kafka topic, a file. An exporter is driven by its own {@link ExporterRunner} thread, one call at a
 * time, so it needs no locking of its own; it never runs on the poll thread. A call that cannot
 * complete throws, and the runner retries the same batch after a backoff, calling {@link #open()}
 * again first.
 */
public interface Exporter extends AutoCloseable {
    /** Connects or opens the destination; called before the first send and again after any failure. */
    void open() throws IOException;

    /** Sends a batch of records (in the order the aggregator finished them); throws when it could not. */
    void send(List<FinishedFlow> flows) throws IOException;

    /** Sends a batch of events; only called when {@link #wantsEvents()}. */
    default void sendEvents(List<FlowEvent> events) throws IOException {}

    /** Whether the agent should queue flow program events for this exporter too. */
    default boolean wantsEvents() {
        return false;
    }

    /** Pushes out anything buffered (a partly filled message); called whenever the queue runs empty. */
    default void flush() throws IOException {}

    /**
     * Time-driven work, such as resending templates: called at least every {@link #tickInterval()} nanoseconds while
     * the destination is open.
     */
    default void tick(long nowNanos) throws IOException {}

    /** How often {@link #tick} wants to run, in nanoseconds. */
    default long tickInterval() {
        return 1_000_000_000L;
    }

    /**
     * Whether the exporter reports deliveries itself through {@link ExportContext#delivered} and
     * {@link ExportContext#failed} (an asynchronous client that learns the outcome later). Otherwise a
     * batch counts as sent when {@link #send} returns.
     */
    default boolean reportsDelivery() {
        return false;
    }

    /** Releases the destination; called once, on the runner's thread, after the last flush. */
    @Override
    void close();
}
