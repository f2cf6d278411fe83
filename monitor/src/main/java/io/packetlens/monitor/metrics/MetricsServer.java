package io.packetlens.monitor.metrics;

import io.packetlens.flow.Count;
import io.packetlens.monitor.MonitorSnapshot;
import io.packetlens.monitor.TrafficLabels;
import io.packetlens.monitor.alert.Alert;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The Prometheus endpoint ({@code /metrics}), built with the Prometheus Java client: traffic per
 * interface, direction and protocol; active flows; flow-table capacity, fill and overflow;
 * "other" frames; event-ring drops; alerts per rule; and the agent's own CPU and memory
 * (process and JVM metrics). Values come from the monitor's latest snapshot at scrape time.
 */
public final class MetricsServer implements AutoCloseable {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter alerts;
    private final HTTPServer server;

    public MetricsServer(InetSocketAddress address, Supplier<MonitorSnapshot> snapshots) {
        CounterWithCallback.builder().name("packetlens_packets").help("Packets seen, by interface, direction and protocol")
                .labelNames("interface", "direction", "protocol")
                .callback(cb -> traffic(snapshots).forEach((l, c) -> cb.call(c.packets(), l.iface(), l.direction(), l.protocol())))
                .register(registry);
        CounterWithCallback.builder().name("packetlens_bytes").help("Bytes seen (whole frames), by interface, direction and protocol")
                .labelNames("interface", "direction", "protocol")
                .callback(cb -> traffic(snapshots).forEach((l, c) -> cb.call(c.bytes(), l.iface(), l.direction(), l.protocol())))
                .register(registry);
        GaugeWithCallback.builder().name("packetlens_active_flows").help("Flows in the kernel flow table at the last poll")
                .callback(cb -> cb.call(snapshots.get().totals().activeFlows())).register(registry);
        GaugeWithCallback.builder().name("packetlens_flow_table_capacity").help("Flows the kernel flow table can hold")
                .callback(cb -> cb.call(snapshots.get().tableCapacity())).register(registry);
        GaugeWithCallback.builder().name("packetlens_flow_table_fill_ratio").help("Active flows / table capacity")
                .callback(cb -> {
                    MonitorSnapshot s = snapshots.get();
                    cb.call(s.tableCapacity() == 0 ? 0 : (double) s.totals().activeFlows() / s.tableCapacity());
                }).register(registry);
        CounterWithCallback.builder().name("packetlens_flow_table_overflow_packets")
                .help("Packets of flows the table had no room for (counted, never lost)")
                .callback(cb -> cb.call(snapshots.get().totals().losses().tableFull().packets())).register(registry);
        CounterWithCallback.builder().name("packetlens_flow_table_overflow_bytes")
                .help("Bytes of flows the table had no room for")
                .callback(cb -> cb.call(snapshots.get().totals().losses().tableFull().bytes())).register(registry);
        CounterWithCallback.builder().name("packetlens_other_packets")
                .help("Frames that are not IP flows (counted by ethertype or protocol)")
                .callback(cb -> cb.call(snapshots.get().totals().other().packets())).register(registry);
        CounterWithCallback.builder().name("packetlens_ringbuf_drops")
                .help("Event records the ring buffer had no room for")
                .callback(cb -> cb.call(snapshots.get().totals().losses().eventsLost().packets())).register(registry);
        CounterWithCallback.builder().name("packetlens_flows").help("Distinct flows seen")
                .callback(cb -> cb.call(snapshots.get().totals().flows())).register(registry);
        CounterWithCallback.builder().name("packetlens_flow_records").help("Finished flow records emitted")
                .callback(cb -> cb.call(snapshots.get().totals().records())).register(registry);
        alerts = Counter.builder().name("packetlens_alerts").help("Alerts fired, by rule").labelNames("rule").register(registry);
        JvmMetrics.builder().register(registry); // process_cpu_seconds_total, process_resident_memory_bytes, jvm_*
        try {
            server = HTTPServer.builder().hostname(address.getHostString()).port(address.getPort()).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve /metrics on " + address + ": " + e.getMessage(), e);
        }
    }

    private static Map<TrafficLabels, Count> traffic(Supplier<MonitorSnapshot> snapshots) {
        return snapshots.get().traffic();
    }

    public void countAlert(Alert a) {
        alerts.labelValues(a.rule()).inc();
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
