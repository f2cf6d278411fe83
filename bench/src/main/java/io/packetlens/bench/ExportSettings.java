package io.packetlens.bench;

import java.time.Duration;
import java.util.List;

/**
 * The export benchmark's parameters after validation.
 *
 * @param flows        distinct flows sent, one frame each
 * @param rounds       runs per mode
 * @param modes        which exporter sets to run, each round in this order
 * @param tableSize    the flow table's entries (above flows / 0.9, so that eviction stays off)
 * @param idleTimeout  the flow monitor's idle timeout
 * @param pollInterval the flow monitor's poll interval
 * @param partitions   partitions of each run's Kafka topic
 * @param ipfixPort    nfcapd's UDP port on 127.0.0.1
 * @param kafkaPort    the broker's port on 127.0.0.1 (its controller listens on the next one)
 * @param frameSize    the generator's frame size without FCS
 * @param dstPort      the flows' first destination port
 * @param timeout      how long a run waits for its exporters after the traffic
 * @param nfcapdBuffer nfcapd's socket receive buffer ({@code -B}), 0 for its default (the kernel's rmem_default)
 */
record ExportSettings(int flows, int rounds, List<ExportMode> modes, int tableSize, Duration idleTimeout, Duration pollInterval,
                      int partitions, int ipfixPort, int kafkaPort, int frameSize, int dstPort, Duration timeout,
                      int nfcapdBuffer) {
    ExportSettings {
        modes = List.copyOf(modes);
        if (flows < 1) throw new IllegalArgumentException("--flows must be positive, got " + flows);
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be positive, got " + rounds);
        if (modes.isEmpty()) throw new IllegalArgumentException("--modes needs at least one of ipfix, kafka, both");
        if (tableSize < flows / 0.9) {
            throw new IllegalArgumentException("--table-size " + tableSize + " is too small for " + flows
                    + " flows: above 90% fill the monitor evicts quiet flows early, and they would not all finish in one poll");
        }
        if (idleTimeout.compareTo(pollInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("the idle timeout must be at least two poll intervals: the traffic is sent in the middle of one");
        }
        if (partitions < 1) throw new IllegalArgumentException("--partitions must be positive, got " + partitions);
    }
}
