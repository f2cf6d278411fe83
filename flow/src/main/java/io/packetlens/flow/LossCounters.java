package io.packetlens.flow;

/**
 * The flow program's per-CPU {@code flow_counters} array, summed over CPUs ({@code enum pl_counter}): packets that
 * did not fit a table, still counted here, and the fate of event records.
 *
 * @param tableFull  packets (and bytes) of flows the flow table had no room for
 * @param otherFull  "other" frames the other-counter table had no room for
 * @param eventsSent event records submitted to the ring buffer (bytes: record sizes)
 * @param eventsLost event records the ring buffer had no room for
 * @param ringDrops  AF_PACKET fallback only: frames its capture rings had no room for (the kernel's
 *                   {@code tp_drops}), never seen by the flow table; 0 with the kernel program
 */
public record LossCounters(Count tableFull, Count otherFull, Count eventsSent, Count eventsLost, long ringDrops) {
    /** The kernel program's counters (no capture ring, so no ring drops). */
    public LossCounters(Count tableFull, Count otherFull, Count eventsSent, Count eventsLost) {
        this(tableFull, otherFull, eventsSent, eventsLost, 0);
    }

    /** Slots of {@code flow_counters}. */
    static final int TABLE_FULL = 0, OTHER_FULL = 1, EVENTS_SENT = 2, EVENTS_LOST = 3, SLOTS = 4;

    public static final LossCounters ZERO = new LossCounters(Count.ZERO, Count.ZERO, Count.ZERO, Count.ZERO);
}
