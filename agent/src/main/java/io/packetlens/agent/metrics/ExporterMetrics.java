package io.packetlens.agent.metrics;

import io.packetlens.agent.AgentSnapshot;
import io.packetlens.export.ExporterStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.function.Supplier;

/**
 * Per exporter: records by outcome (sent, dropped by the full queue, failed), queue depth and capacity, send errors
 * and whether the destination is connected. Every record given up anywhere shows here.
 */
final class ExporterMetrics {
    private ExporterMetrics() {}

    static void register(PrometheusRegistry registry, Supplier<AgentSnapshot> snapshots) {
        CounterWithCallback.builder().name("packetlens_exporter_records")
                .help("Flow records and events per exporter, by outcome: sent (taken or acknowledged by the destination), "
                        + "dropped (the full queue gave them up), failed (could not be delivered)")
                .labelNames("exporter", "type", "outcome")
                .callback(cb -> {
                    for (ExporterStats e : snapshots.get().exporters()) {
                        cb.call(e.sent(), e.name(), e.type(), "sent");
                        cb.call(e.dropped(), e.name(), e.type(), "dropped");
                        cb.call(e.failed(), e.name(), e.type(), "failed");
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("packetlens_exporter_queue_records").help("Records waiting in an exporter's queue")
                .labelNames("exporter")
                .callback(cb -> snapshots.get().exporters().forEach(e -> cb.call(e.queued(), e.name()))).register(registry);
        GaugeWithCallback.builder().name("packetlens_exporter_queue_capacity").help("The bound of an exporter's queue")
                .labelNames("exporter")
                .callback(cb -> snapshots.get().exporters().forEach(e -> cb.call(e.capacity(), e.name()))).register(registry);
        CounterWithCallback.builder().name("packetlens_exporter_send_errors")
                .help("Failed attempts to open or send, each retried after a backoff")
                .labelNames("exporter")
                .callback(cb -> snapshots.get().exporters().forEach(e -> cb.call(e.sendErrors(), e.name()))).register(registry);
        GaugeWithCallback.builder().name("packetlens_exporter_connected").help("1 when the exporter's destination is open")
                .labelNames("exporter")
                .callback(cb -> snapshots.get().exporters().forEach(e -> cb.call(e.connected() ? 1 : 0, e.name()))).register(registry);
    }
}
