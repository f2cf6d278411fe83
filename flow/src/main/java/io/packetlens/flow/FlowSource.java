package io.packetlens.flow;

import java.util.Map;

/**
 * Where a {@link FlowAggregator} reads flows: the kernel's flow table, filled by the flow program
 * ({@link FlowProgram}), or, where that program cannot be loaded or attached, the table the AF_PACKET fallback keeps
 * in Java ({@link PacketFlows}). Both hold the same entries, {@code struct pl_flow_key} to {@code struct
 * pl_flow_stats}, the same "other" counters and the same loss counters, so the aggregator, and everything built on it
 * (records, timeouts, totals, metrics, exporters), works the same on either.
 */
public abstract sealed class FlowSource permits FlowProgram, PacketFlows {
    FlowSource() {}

    /** The most flows the table holds: packets of further flows count as {@link LossCounters#tableFull()}. */
    public abstract int tableCapacity();

    /** The "other" counters (frames that are not IP flows), summed over CPUs. */
    public abstract Map<OtherKey, Count> otherCounts();

    /** Overflow, event and (fallback) ring-drop counters. */
    public abstract LossCounters counters();

    /** Whether this is the AF_PACKET fallback rather than the kernel program. */
    public boolean fallback() {
        return false;
    }

    /** A reader of the table for one aggregator. */
    abstract FlowTableReader reader(int batchSize);

    /** Where the tables are pinned, or null. */
    abstract FlowPins tablePins();
}
