package io.packetlens.monitor;

import io.packetlens.flow.ActiveFlow;
import io.packetlens.flow.Count;
import io.packetlens.flow.FlowAggregator;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the monitor knew after one poll, consistent in itself: the busiest flows of the last
 * interval (as many as the view shows, in its order, with their last-interval deltas),
 * cumulative traffic per label, the aggregator's totals (active flows among them) and loss
 * counters. The live view, /metrics and the exit summary all read the latest snapshot. {@code fallback} is why the
 * monitor counts from AF_PACKET instead of the kernel program (the program's original error), or null when it does not.
 */
public record MonitorSnapshot(Instant time, double intervalSeconds, List<ActiveFlow> topFlows,
                              Map<TrafficLabels, Count> traffic, FlowAggregator.Totals totals, int tableCapacity,
                              long alerts, String fallback) {
    /** A snapshot of the kernel program's counts. */
    public MonitorSnapshot(Instant time, double intervalSeconds, List<ActiveFlow> topFlows, Map<TrafficLabels, Count> traffic,
                           FlowAggregator.Totals totals, int tableCapacity, long alerts) {
        this(time, intervalSeconds, topFlows, traffic, totals, tableCapacity, alerts, null);
    }

    /** Whether these counts come from the AF_PACKET fallback. */
    public boolean inFallback() {
        return fallback != null;
    }
}
