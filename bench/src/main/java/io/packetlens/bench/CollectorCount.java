package io.packetlens.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a collector holds of the benchmark's flows: records, distinct flows among them (UDP from the generator's source
 * to its destination address, by port pair) and their packets summed; records of anything else are counted apart.
 */
record CollectorCount(long records, long flows, long packets, long other) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** From nfdump's {@code -q -N -o fmt:%sa,%da,%sp,%dp,%pr,%pkt} output, one line per record. */
    static CollectorCount ofNfdump(String out, String src, String dst) {
        Counter c = new Counter();
        for (String line : out.split("\n")) {
            String[] f = line.split(",");
            if (f.length != 6) continue;
            String proto = f[4].trim();
            boolean ours = f[0].trim().equals(src) && f[1].trim().equals(dst) && (proto.equals("17") || proto.equalsIgnoreCase("UDP"));
            c.add(ours, f[2].trim() + ":" + f[3].trim(), Long.parseLong(f[5].trim()));
        }
        return c.result();
    }

    /** From the Kafka exporter's record values (FlowJson objects). */
    static CollectorCount ofFlowJson(List<String> values, String src, String dst) {
        Counter c = new Counter();
        for (String v : values) {
            JsonNode j;
            try {
                j = JSON.readTree(v);
            } catch (IOException e) {
                throw new UncheckedIOException("a record that is not JSON: " + v, e);
            }
            boolean ours = src.equals(j.path("sourceIPv4Address").asText()) && dst.equals(j.path("destinationIPv4Address").asText())
                    && j.path("protocolIdentifier").asInt() == 17;
            c.add(ours, j.path("sourceTransportPort").asInt() + ":" + j.path("destinationTransportPort").asInt(),
                    j.path("packetDeltaCount").asLong());
        }
        return c.result();
    }

    private static final class Counter {
        final Set<String> flows = new HashSet<>();
        long records, packets, other;

        void add(boolean ours, String ports, long pkts) {
            if (!ours) {
                other++;
                return;
            }
            records++;
            packets += pkts;
            flows.add(ports);
        }

        CollectorCount result() {
            return new CollectorCount(records, flows.size(), packets, other);
        }
    }
}
