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
 * A bidirectional record (a tracked connection) decoded by tshark, not by us: the templates and the record written as
 * an IPFIX file (RFC 5655: the messages one after the other), which tshark reads as such. Its RFC 5103 reverse
 * elements must come out as the responder's packets and octets.
 */
class IpfixBiflowTest {
    @Test
    void tsharkReadsTheReverseElementsOfABiflowRecord() throws Exception {
        FinishedFlow f = Flows.biflow();
        ByteBuffer templates = MessageBuilder.templateMessage(FlowTemplates.all());
        MessageBuilder.stamp(templates, 1_764_000_000L, 0, 42);
        MessageBuilder b = new MessageBuilder(1472);
        assertThat(b.add(FlowTemplates.of(f), f)).isTrue();
        ByteBuffer data = b.finish();
        MessageBuilder.stamp(data, 1_764_000_001L, 0, 42);
        Path file = Files.createTempFile("pl-biflow", ".ipfix");
        try {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(templates);
                ch.write(data);
            }
            String decoded = Processes.run(Duration.ofSeconds(60), Map.of(), "tshark", "-n", "-r", file.toString(), "-V");
            assertThat(decoded).contains("Field (22/24): BYTES [Reverse]", "PEN: IPFIX Reverse Information Element Private Enterprise (29305)")
                    .contains("Octets: 400\n", "Packets: 5\n", "Biflow Direction: Initiator (1)",
                            "Octets: 300 (Reverse Type 1 BYTES)", "Packets: 4 (Reverse Type 2 PKTS)",
                            "TCP Flags: 0x0012, ACK, SYN\n", "TCP Flags: 0x0011, ACK, FIN (Reverse Type 6 TCP_FLAGS)")
                    .doesNotContain("Malformed", "Expert Info");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
