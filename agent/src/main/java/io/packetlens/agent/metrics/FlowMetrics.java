package io.packetlens.agent.metrics;

import io.packetlens.agent.AgentSnapshot;
import io.packetlens.monitor.MonitorSnapshot;
import io.packetlens.monitor.TrafficLabels;
import io.packetlens.flow.Count;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Map;
import java.util.function.Supplier;

/**
 * The flow monitor's metrics: traffic per interface, direction and protocol; active flows; flow-table capacity, fill
 * and overflow; "other" frames; event-channel drops; flows and records; alerts per rule.
 */
final class FlowMetrics {
    private final Counter alerts;

    private FlowMetrics(Counter alerts) {
        this.alerts = alerts;
    }

    static FlowMetrics register(PrometheusRegistry registry, Supplier<AgentSnapshot> snapshots) {
        Supplier<MonitorSnapshot> s = () -> snapshots.get().flows();
        CounterWithCallback.builder().name("packetlens_packets").help("Packets seen, by interface, direction and protocol")
                .labelNames("interface", "direction", "protocol")
                .callback(cb -> traffic(s).forEach((l, c) -> cb.call(c.packets(), l.iface(), l.direction(), l.protocol())))
                .register(registry);
        CounterWithCallback.builder().name("packetlens_bytes").help("Bytes seen (whole frames), by interface, direction and protocol")
                .labelNames("interface", "direction", "protocol")
                .callback(cb -> traffic(s).forEach((l, c) -> cb.call(c.bytes(), l.iface(), l.direction(), l.protocol())))
                .register(registry);
        GaugeWithCallback.builder().name("packetlens_active_flows").help("Flows in the kernel flow table at the last poll")
                .callback(cb -> cb.call(s.get().totals().activeFlows())).register(registry);
        GaugeWithCallback.builder().name("packetlens_flow_table_capacity").help("Flows the kernel flow table can hold")
                .callback(cb -> cb.call(s.get().tableCapacity())).register(registry);
        GaugeWithCallback.builder().name("packetlens_flow_table_fill_ratio").help("Active flows / table capacity")
                .callback(cb -> {
                    MonitorSnapshot m = s.get();
                    cb.call(m.tableCapacity() == 0 ? 0 : (double) m.totals().activeFlows() / m.tableCapacity());
                }).register(registry);
        CounterWithCallback.builder().name("packetlens_flow_table_overflow_packets")
                .help("Packets of flows the table had no room for (counted, never lost)")
                .callback(cb -> cb.call(s.get().totals().losses().tableFull().packets())).register(registry);
        CounterWithCallback.builder().name("packetlens_flow_table_overflow_bytes")
                .help("Bytes of flows the table had no room for")
                .callback(cb -> cb.call(s.get().totals().losses().tableFull().bytes())).register(registry);
        CounterWithCallback.builder().name("packetlens_other_packets")
                .help("Frames that are not IP flows (counted by ethertype or protocol)")
                .callback(cb -> cb.call(s.get().totals().other().packets())).register(registry);
        CounterWithCallback.builder().name("packetlens_other_table_full_packets")
                .help("Non-flow frames the other-counter table had no room for (counted here instead)")
                .callback(cb -> cb.call(s.get().totals().losses().otherFull().packets())).register(registry);
        CounterWithCallback.builder().name("packetlens_ringbuf_drops")
                .help("Event records the ring buffer had no room for")
                .callback(cb -> cb.call(s.get().totals().losses().eventsLost().packets())).register(registry);
        CounterWithCallback.builder().name("packetlens_flows").help("Distinct flows seen")
                .callback(cb -> cb.call(s.get().totals().flows())).register(registry);
        CounterWithCallback.builder().name("packetlens_flow_records").help("Finished flow records emitted")
                .callback(cb -> cb.call(s.get().totals().records())).register(registry);
        Counter alerts = Counter.builder().name("packetlens_alerts").help("Alerts fired, by rule").labelNames("rule").register(registry);
        return new FlowMetrics(alerts);
    }

    private static Map<TrafficLabels, Count> traffic(Supplier<MonitorSnapshot> s) {
        return s.get().traffic();
    }

    void countAlert(String rule) {
        alerts.labelValues(rule).inc();
    }
}
