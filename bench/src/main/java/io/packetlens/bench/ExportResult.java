package io.packetlens.bench;

import io.packetlens.export.ExporterStats;

import java.util.List;

/**
 * One run of the export benchmark: the traffic, the poll that finished its flows, and per exporter when the records
 * were delivered, what it cost and what the collector holds.
 *
 * @param mode               the exporters configured
 * @param round              1-based
 * @param framesSent         frames the generator got completed
 * @param trafficNanos       the generator's time for them
 * @param trafficInOneInterval whether the traffic began and ended between the same two polls
 * @param finishingPoll      the index of the first poll that emitted records (-1: none did)
 * @param recordsInPoll      records that poll emitted
 * @param recordsLater       records emitted after it, by later polls or the drain at stop
 * @param pollWallNanos      that poll's duration
 * @param pollThreadCpuNanos the poll thread's CPU time in it
 * @param agentCpuNanos      this JVM's CPU from that poll's start until the last exporter was done
 * @param outcomes           per exporter, in configuration order
 */
record ExportResult(ExportMode mode, int round, long framesSent, long trafficNanos, boolean trafficInOneInterval,
                    int finishingPoll, long recordsInPoll, long recordsLater, long pollWallNanos, long pollThreadCpuNanos,
                    long agentCpuNanos, List<Outcome> outcomes) {
    ExportResult {
        outcomes = List.copyOf(outcomes);
    }

    /** Whether every flow came out of one poll, and nothing after it. */
    boolean onePoll(long flows) {
        return finishingPoll > 0 && recordsInPoll == flows && recordsLater == 0;
    }

    /**
     * One exporter's part of a run.
     *
     * @param name              the exporter
     * @param deliveredNanos    from the end of the finishing poll until its sent count reached the flow count (may be
     *                          negative: done before the poll returned); {@link #NEVER} if it never did
     * @param cpuNanos          this JVM's CPU from the finishing poll's start until then
     * @param peerCpuNanos      the collector process's CPU over the same time (nfcapd, or the broker JVM)
     * @param stats             the exporter's counters after the agent stopped
     * @param seen              what the collector holds: nfdump over nfcapd's file, or a consumer over the topic
     * @param collectorNote     the collector's own account (nfcapd's totals and sequence errors, socket drops)
     */
    record Outcome(String name, long deliveredNanos, long cpuNanos, long peerCpuNanos, ExporterStats stats,
                   CollectorCount seen, String collectorNote) {
        static final long NEVER = Long.MIN_VALUE;

        boolean delivered() {
            return deliveredNanos != NEVER;
        }
    }
}
