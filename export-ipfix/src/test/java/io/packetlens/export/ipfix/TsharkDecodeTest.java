package io.packetlens.export.ipfix;

import io.packetlens.flow.FinishedFlow;
import io.packetlens.peers.Processes;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records decoded by tshark, not by us: the templates and a record written as an IPFIX file (RFC 5655: the messages one
 * after the other), which tshark reads as such. A bidirectional record's (a tracked connection's) RFC 5103 reverse
 * elements must come out as the responder's packets and octets, and a VXLAN flow's layer2SegmentId as its VNI.
 */
class TsharkDecodeTest {
    @Test
    void tsharkReadsTheReverseElementsOfABiflowRecord() throws Exception {
        String decoded = decode(Flows.biflow());
        assertThat(decoded).contains("Field (23/25): BYTES [Reverse]", "PEN: IPFIX Reverse Information Element Private Enterprise (29305)")
                .contains("Octets: 400\n", "Packets: 5\n", "Biflow Direction: Initiator (1)",
                        "Octets: 300 (Reverse Type 1 BYTES)", "Packets: 4 (Reverse Type 2 PKTS)",
                        "TCP Flags: 0x0012, ACK, SYN\n", "TCP Flags: 0x0011, ACK, FIN (Reverse Type 6 TCP_FLAGS)")
                .doesNotContain("Malformed", "Expert Info");
    }

    @Test
    void tsharkReadsTheVniOfAVxlanFlowAsLayer2SegmentId() throws Exception {
        String decoded = decode(Flows.vxlan());
        // 0x01 (VXLAN) << 56 | 42
        assertThat(decoded).contains("SrcAddr: 10.242.0.1\n", "DstAddr: 10.242.0.2\n", "Packets: 2\n",
                        "Layer2 Segment Id: " + ((1L << 56) | 42) + "\n")
                .doesNotContain("Malformed", "Expert Info");
    }

    private static String decode(FinishedFlow f) throws Exception {
        ByteBuffer templates = MessageBuilder.templateMessage(FlowTemplates.all());
        MessageBuilder.stamp(templates, 1_764_000_000L, 0, 42);
        MessageBuilder b = new MessageBuilder(1472);
        assertThat(b.add(FlowTemplates.of(f), f)).isTrue();
        ByteBuffer data = b.finish();
        MessageBuilder.stamp(data, 1_764_000_001L, 0, 42);
        Path file = Files.createTempFile("pl-tshark", ".ipfix");
        try {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(templates);
                ch.write(data);
            }
            return Processes.run(Duration.ofSeconds(60), Map.of(), "tshark", "-n", "-r", file.toString(), "-V");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
