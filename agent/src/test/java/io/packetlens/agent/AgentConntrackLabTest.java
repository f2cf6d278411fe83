package io.packetlens.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.LinkStats;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's {@code conntrack:} section on a real link: the tracker at TC on b's veth, a TCP connection and a UDP
 * exchange from a, and what comes out: one bidirectional record per connection in the flow log, whose two directions
 * are the packets each side's veth sent (their own counters), and the tracker's metrics. Ports 19480-19489.
 */
@KernelTest
class AgentConntrackLabTest {
    @Test
    void eachConnectionIsOneBidirectionalRecordWithItsHandshakeAndRetransmissions() throws Exception {
        Path dir = Files.createTempDirectory("pl-agent-ct");
        Path log = dir.resolve("flows.json");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            AgentConfig c = AgentConfigReader.parse("""
                    flows: {enabled: false}
                    metrics: {address: 127.0.0.1:0}
                    conntrack: {hook: tc, timeouts: {udp: 1s}}
                    exporters:
                      - {type: file, path: %s}
                    """.formatted(log)).withInterfaces(List.of(new InterfaceSpec(b.ifname(), b.namespace())));
            try (Agent agent = Agent.start(c, new Agent.Listener() {})) {
                LinkStats bBefore = b.linkStats();
                Traffic.Sent tcp = Traffic.tcp(a, b, false, 20_000, 19_480);
                LinkStats bAfter = b.linkStats();
                long replies = bAfter.minus(bBefore).txPackets();
                Traffic.udp(a, b, false, 3, 100, 19_481);
                // past the UDP connection's timeout: the agent's expiry (every second) reports it
                agent.runUntil(System.nanoTime() + 2_600_000_000L);
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + agent.metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("packetlens_conntrack_connections 1.0", "packetlens_conntrack_packets_total{counter=\"created\"} 2.0",
                        "packetlens_conntrack_finished_connections_total 1.0");
                AgentSnapshot fin = agent.stop();
                assertThat(fin.conntrack().finished()).isEqualTo(2);
                assertThat(fin.conntrack().rttCounts()).as("one handshake measured").containsOnlyOnce(1L);
                String after = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + agent.metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(after).contains("packetlens_conntrack_handshake_rtt_seconds_count 1", "packetlens_conntrack_finished_connections_total 2.0",
                        "packetlens_conntrack_retransmitted_segments_total{direction=\"initiator\"} 0.0");

                List<JsonNode> records = new ArrayList<>();
                ObjectMapper json = new ObjectMapper();
                for (String line : Files.readAllLines(log)) records.add(json.readTree(line));
                assertThat(records).hasSize(2);
                JsonNode t = records.stream().filter(r -> r.get("protocolIdentifier").asInt() == 6).findFirst().orElseThrow();
                assertThat(t.get("sourceIPv4Address").asText()).as("the initiator is the source").isEqualTo(a.ipv4());
                assertThat(t.get("destinationTransportPort").asInt()).isEqualTo(19_480);
                assertThat(t.get("biflowDirection").asInt()).isEqualTo(1);
                assertThat(t.get("packetDeltaCount").asLong()).as("what a's veth sent").isEqualTo(tcp.packets());
                assertThat(t.get("reversePacketDeltaCount").asLong()).as("what b's veth sent").isEqualTo(replies);
                assertThat(t.get("octetDeltaCount").asLong()).isGreaterThan(20_000);
                assertThat(t.get("handshakeRttMicroseconds").asDouble()).isPositive();
                assertThat(t.get("retransmittedSegments").asLong()).isZero();
                // the client sent SYN, data (ACK|PSH) and a FIN; the server, which sends no data, SYN-ACK, ACKs and a FIN
                assertThat(t.get("tcpControlBits").asInt()).as("the initiator's flags").isEqualTo(0x1b);
                assertThat(t.get("reverseTcpControlBits").asInt()).as("the responder's flags").isEqualTo(0x13);
                assertThat(t.get("connectionState").asText()).isEqualTo("TIME_WAIT");
                assertThat(t.get("flowEndReason").asInt()).as("still in the table at stop: forced end").isEqualTo(4);
                JsonNode u = records.stream().filter(r -> r.get("protocolIdentifier").asInt() == 17).findFirst().orElseThrow();
                assertThat(u.get("packetDeltaCount").asLong()).isEqualTo(3);
                assertThat(u.get("octetDeltaCount").asLong()).isEqualTo(3 * (20 + 8 + 100));
                assertThat(u.get("reversePacketDeltaCount").asLong()).isZero();
                assertThat(u.has("handshakeRttMicroseconds")).isFalse();
                assertThat(u.get("flowEndReason").asInt()).as("expired after its 1 s: idle").isEqualTo(1);
                assertThat(records.indexOf(u)).as("the expired one first").isZero();
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }
}
