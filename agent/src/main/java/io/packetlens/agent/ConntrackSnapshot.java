package io.packetlens.agent;

import io.packetlens.conntrack.ConntrackCounter;

import java.util.Map;

/**
 * The connection tracker's part of the read model.
 *
 * @param connections        connections in the table now
 * @param counters           the tracker's counters (packets tracked, created, table full, invalid, ...)
 * @param rttCounts          handshake round trips of finished connections per bucket of
 *                           {@link #RTT_BOUNDS} (not cumulative; the last is above the last bound)
 * @param rttSumSeconds      their sum
 * @param retransmits        TCP segments initiators of finished connections sent again
 * @param reverseRetransmits the same for responders
 * @param finished           connections that left the table (records made)
 */
public record ConntrackSnapshot(int connections, Map<ConntrackCounter, Long> counters, long[] rttCounts, double rttSumSeconds,
                                long retransmits, long reverseRetransmits, long finished) {
    /** Upper bounds of the handshake round-trip histogram, in seconds (a last bucket holds what is above). */
    public static final double[] RTT_BOUNDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

    public ConntrackSnapshot {
        counters = Map.copyOf(counters);
        rttCounts = rttCounts.clone();
    }
}
