package io.packetlens.agent;

import io.packetlens.export.ExporterStats;
import io.packetlens.monitor.MonitorSnapshot;

import java.time.Instant;
import java.util.List;

/**
 * The agent's read model: what every part knew at one moment, consistent per part. The flow monitor's part is its last
 * poll ({@link MonitorSnapshot}); the exporters' counters are read when the snapshot is taken. /metrics, the live view
 * and the exit summary read this, and so will the web dashboard.
 *
 * @param time      when the snapshot was taken
 * @param flows     the flow monitor's last poll, or null when the agent runs no flow monitor
 * @param exporters each exporter's counters, in configuration order
 * @param pinned    whether the kernel objects are pinned (they outlive this process)
 * @param guard     the guard's part, or null without a guard
 * @param conntrack the connection tracker's part, or null without one
 */
public record AgentSnapshot(Instant time, MonitorSnapshot flows, List<ExporterStats> exporters, boolean pinned, GuardSnapshot guard,
                            ConntrackSnapshot conntrack) {
    public AgentSnapshot {
        exporters = List.copyOf(exporters);
    }

    /** Records (and events) every exporter gave up or could not deliver, summed. */
    public long exportLosses() {
        return exporters.stream().mapToLong(e -> e.dropped() + e.failed()).sum();
    }
}
