package io.packetlens.monitor.alert;

import io.packetlens.monitor.config.ConfigException;
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
        public String name() { return "source-pps"; }
    }

    /** More than {@code threshold} new flows per second appear, averaged over {@code window}. */
    record NewFlowRate(double threshold, Duration window) implements AlertRule {
        public String name() { return "new-flows-per-second"; }
    }

    /** One source reaches more than {@code threshold} distinct destination ports within {@code window}. */
    record PortScan(double threshold, Duration window) implements AlertRule {
        public String name() { return "port-scan"; }
    }

    static AlertRule of(MonitorConfig.AlertRuleConfig c) {
        return switch (c.type()) {
            case "source-pps" -> new SourcePps(c.threshold());
            case "new-flows-per-second" -> new NewFlowRate(c.threshold(), c.window());
            case "port-scan" -> new PortScan(c.threshold(), c.window());
            default -> throw new ConfigException("alerts", "unknown rule type " + c.type());
        };
    }
}
