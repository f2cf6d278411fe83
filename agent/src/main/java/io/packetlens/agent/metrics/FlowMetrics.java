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
 * The flow monitor's metrics: traffic per interface, direction, protocol and tunnel; active flows; flow-table capacity, fill
 * and overflow; "other" frames; event-channel drops; flows and records; alerts per rule; whether the AF_PACKET
 * fallback counts, and its ring drops.
 */
final class FlowMetrics {
    private final Counter alerts;

    private FlowMetrics(Counter alerts) {
        this.alerts = alerts;
    }

    static FlowMetrics register(PrometheusRegistry registry, Supplier<AgentSnapshot> snapshots) {
        Supplier<MonitorSnapshot> s = () -> snapshots.get().flows(); // null when the agent runs no flow monitor
        CounterWithCallback.builder().name("packetlens_packets").help("Packets seen, by interface, direction, protocol and tunnel (type and id; empty outside tunnels)")
                .labelNames("interface", "direction", "protocol", "tunnel", "tunnel_id")
                .callback(cb -> with(s, m -> m.traffic().forEach((l, c) -> cb.call(c.packets(), l.iface(), l.direction(), l.protocol(), l.tunnel(), l.tunnelId()))))
                .register(registry);
        CounterWithCallback.builder().name("packetlens_bytes").help("Bytes seen (whole frames, outer frames for tunnelled packets), by interface, direction, protocol and tunnel")
                .labelNames("interface", "direction", "protocol", "tunnel", "tunnel_id")
                .callback(cb -> with(s, m -> m.traffic().forEach((l, c) -> cb.call(c.bytes(), l.iface(), l.direction(), l.protocol(), l.tunnel(), l.tunnelId()))))
                .register(registry);
        GaugeWithCallback.builder().name("packetlens_active_flows").help("Flows in the kernel flow table at the last poll")
                .callback(cb -> with(s, m -> cb.call(m.totals().activeFlows()))).register(registry);
        GaugeWithCallback.builder().name("packetlens_flow_table_capacity").help("Flows the kernel flow table can hold")
                .callback(cb -> with(s, m -> cb.call(m.tableCapacity()))).register(registry);
        GaugeWithCallback.builder().name("packetlens_flow_table_fill_ratio").help("Active flows / table capacity")
                .callback(cb -> with(s, m -> cb.call(m.tableCapacity() == 0 ? 0 : (double) m.totals().activeFlows() / m.tableCapacity())))
                .register(registry);
        CounterWithCallback.builder().name("packetlens_flow_table_overflow_packets")
                .help("Packets of flows the table had no room for (counted, never lost)")
                .callback(cb -> with(s, m -> cb.call(m.totals().losses().tableFull().packets()))).register(registry);
        CounterWithCallback.builder().name("packetlens_flow_table_overflow_bytes")
                .help("Bytes of flows the table had no room for")
                .callback(cb -> with(s, m -> cb.call(m.totals().losses().tableFull().bytes()))).register(registry);
        CounterWithCallback.builder().name("packetlens_other_packets")
                .help("Frames that are not IP flows (counted by ethertype or protocol)")
                .callback(cb -> with(s, m -> cb.call(m.totals().other().packets()))).register(registry);
        CounterWithCallback.builder().name("packetlens_other_table_full_packets")
                .help("Non-flow frames the other-counter table had no room for (counted here instead)")
                .callback(cb -> with(s, m -> cb.call(m.totals().losses().otherFull().packets()))).register(registry);
        CounterWithCallback.builder().name("packetlens_ringbuf_drops")
                .help("Event records the ring buffer had no room for")
                .callback(cb -> with(s, m -> cb.call(m.totals().losses().eventsLost().packets()))).register(registry);
        GaugeWithCallback.builder().name("packetlens_flows_fallback")
                .help("1 when flows are counted from AF_PACKET in user space because the flow program could not be loaded or attached")
                .callback(cb -> with(s, m -> cb.call(m.inFallback() ? 1 : 0))).register(registry);
        CounterWithCallback.builder().name("packetlens_fallback_ring_drops")
                .help("AF_PACKET fallback: frames its capture rings had no room for (never counted in a flow)")
                .callback(cb -> with(s, m -> cb.call(m.totals().losses().ringDrops()))).register(registry);
        CounterWithCallback.builder().name("packetlens_flows").help("Distinct flows seen")
                .callback(cb -> with(s, m -> cb.call(m.totals().flows()))).register(registry);
        CounterWithCallback.builder().name("packetlens_flow_records").help("Finished flow records emitted")
                .callback(cb -> with(s, m -> cb.call(m.totals().records()))).register(registry);
        Counter alerts = Counter.builder().name("packetlens_alerts").help("Alerts fired, by rule").labelNames("rule").register(registry);
        return new FlowMetrics(alerts);
    }

    /** Runs {@code c} on the flow monitor's snapshot; without a flow monitor, nothing is reported. */
    private static void with(Supplier<MonitorSnapshot> s, java.util.function.Consumer<MonitorSnapshot> c) {
        MonitorSnapshot m = s.get();
        if (m != null) c.accept(m);
    }

    void countAlert(String rule) {
        alerts.labelValues(rule).inc();
    }
}
