package io.packetlens.agent.metrics;

import io.packetlens.agent.AgentSnapshot;
import io.packetlens.agent.ConntrackSnapshot;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * The connection tracker's metrics: connections in the table, the tracker's counters (packets tracked, connections
 * created, table full, invalid, ...), the handshake round trips of finished connections as a histogram, and their TCP
 * retransmissions per direction. Empty without a tracker.
 */
final class ConntrackMetrics {
    private ConntrackMetrics() {}

    static void register(PrometheusRegistry registry, Supplier<AgentSnapshot> snapshots, double[] rttBounds) {
        Supplier<ConntrackSnapshot> c = () -> snapshots.get().conntrack();
        GaugeWithCallback.builder().name("packetlens_conntrack_connections").help("Connections in the tracker's table now")
                .callback(cb -> {
                    ConntrackSnapshot s = c.get();
                    if (s != null) cb.call(s.connections());
                }).register(registry);
        CounterWithCallback.builder().name("packetlens_conntrack_packets")
                .help("The tracker's counters: packets tracked, connections created, new connections refused by a full table (not tracked), invalid, ...")
                .labelNames("counter").callback(cb -> {
                    ConntrackSnapshot s = c.get();
                    if (s != null) s.counters().forEach((k, n) -> cb.call(n, k.name().toLowerCase(Locale.ROOT).replace('_', '-')));
                }).register(registry);
        CounterWithCallback.builder().name("packetlens_conntrack_retransmitted_segments")
                .help("TCP segments sent again in finished connections, by who sent them (initiator or responder)")
                .labelNames("direction").callback(cb -> {
                    ConntrackSnapshot s = c.get();
                    if (s == null) return;
                    cb.call(s.retransmits(), "initiator");
                    cb.call(s.reverseRetransmits(), "responder");
                }).register(registry);
        CounterWithCallback.builder().name("packetlens_conntrack_finished_connections").help("Connections that left the table (a record each)")
                .callback(cb -> {
                    ConntrackSnapshot s = c.get();
                    if (s != null) cb.call(s.finished());
                }).register(registry);
        double[] bounds = new double[rttBounds.length + 1];
        System.arraycopy(rttBounds, 0, bounds, 0, rttBounds.length);
        bounds[rttBounds.length] = Double.POSITIVE_INFINITY;
        registry.register(() -> {
            ConntrackSnapshot s = c.get();
            long[] counts = s == null ? new long[bounds.length] : s.rttCounts();
            long total = 0;
            for (long n : counts) total += n;
            HistogramSnapshot.Builder h = HistogramSnapshot.builder().name("packetlens_conntrack_handshake_rtt_seconds")
                    .help("SYN to SYN-ACK of finished TCP connections, as seen where the tracker sits");
            if (s != null) {
                h.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts)).sum(total == 0 ? 0 : s.rttSumSeconds()).build());
            }
            return (MetricSnapshot) h.build();
        });
    }
}
