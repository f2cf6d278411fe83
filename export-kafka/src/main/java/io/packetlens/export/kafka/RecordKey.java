package io.packetlens.export.kafka;

import io.packetlens.config.ConfigNode;
import io.packetlens.flow.Addresses;
import io.packetlens.flow.FlowKey;

/**
 * The Kafka message key of a record or event: every field of its flow key, comma-separated, so that the producer's
 * default partitioner (a hash of the key) puts all records of one flow in one partition, in order.
 * {@code 10.0.0.1,10.0.0.2,40000,9000,17,0,5,ingress} is source, destination, source port, destination port
 * (ICMP: type &lt;&lt; 8 | code), protocol, VLAN, ifindex, direction.
 */
public final class RecordKey {
    private RecordKey() {}

    public static String of(FlowKey k) {
        return Addresses.format(k.source()) + ',' + Addresses.format(k.destination()) + ',' + k.sourcePort() + ','
                + k.destinationPort() + ',' + k.protocol() + ',' + k.vlan() + ',' + k.ifindex() + ','
                + ConfigNode.name(k.direction());
    }
}
