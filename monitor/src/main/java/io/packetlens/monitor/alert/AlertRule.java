package io.packetlens.monitor.alert;

import io.packetlens.monitor.config.MonitorConfig;

import java.time.Duration;

/**
 * The alert rules the flow monitor knows, as configured: packets per second from one source,
 * new flows per second overall, and one source touching many destination ports within a
 * window (a port scan).
 */
public sealed interface AlertRule {
    String name();

    double threshold();

    /** A single source sends more than {@code threshold} packets per second. */
    record SourcePps(double threshold) implements AlertRule {
        public String name() { return AlertType.SOURCE_PPS.label(); }
    }

    /** More than {@code threshold} new flows per second appear, averaged over {@code window}. */
    record NewFlowRate(double threshold, Duration window) implements AlertRule {
        public String name() { return AlertType.NEW_FLOWS_PER_SECOND.label(); }
    }

    /** One source reaches more than {@code threshold} distinct destination ports within {@code window}. */
    record PortScan(double threshold, Duration window) implements AlertRule {
        public String name() { return AlertType.PORT_SCAN.label(); }
    }

    static AlertRule of(MonitorConfig.AlertRuleConfig c) {
        return switch (c.type()) {
            case SOURCE_PPS -> new SourcePps(c.threshold());
            case NEW_FLOWS_PER_SECOND -> new NewFlowRate(c.threshold(), c.window());
            case PORT_SCAN -> new PortScan(c.threshold(), c.window());
        };
    }
}
