package io.packetlens.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The export benchmark's bookkeeping: reading what the collectors hold, socket drops, settings (no timing here). */
class ExportLogicTest {
    @Test
    void countsTheBenchmarksFlowsInNfdumpOutput() {
        String out = """
                   10.199.0.1,   10.199.0.2, 1024,19230,  UDP,      1
                   10.199.0.1,   10.199.0.2, 1025,19230,  UDP,      1
                   10.199.0.1,   10.199.0.2, 1025,19230,  UDP,      2
                   10.199.0.9,   10.199.0.2, 1026,19230,  UDP,      5
                """;
        assertThat(CollectorCount.ofNfdump(out, "10.199.0.1", "10.199.0.2")).isEqualTo(new CollectorCount(3, 2, 4, 1));
        assertThat(CollectorCount.ofNfdump("", "10.199.0.1", "10.199.0.2")).isEqualTo(new CollectorCount(0, 0, 0, 0));
    }

    @Test
    void countsTheBenchmarksFlowsInKafkaRecords() {
        String a = "{\"sourceIPv4Address\":\"10.199.0.1\",\"destinationIPv4Address\":\"10.199.0.2\",\"protocolIdentifier\":17,"
                + "\"sourceTransportPort\":1024,\"destinationTransportPort\":19230,\"packetDeltaCount\":1}";
        String tcp = a.replace("\"protocolIdentifier\":17", "\"protocolIdentifier\":6");
        assertThat(CollectorCount.ofFlowJson(List.of(a, a, tcp), "10.199.0.1", "10.199.0.2")).isEqualTo(new CollectorCount(2, 1, 2, 1));
    }

    @Test
    void readsTheDropsOfOneLoopbackSocket() {
        String udp = """
                   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
                  120: 0100007F:4B0A 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123 2 0000000000000000 0
                  121: 0100007F:4B1A 00000000:0000 07 00000000:00034000 00:00000000 00000000     0        0 124 2 0000000000000000 202
                """;
        assertThat(UdpDrops.parse(udp, 19226)).isEqualTo(202);
        assertThat(UdpDrops.parse(udp, 19210)).isZero();
        assertThat(UdpDrops.parse(udp, 4739)).isEqualTo(-1);
    }

    @Test
    void refusesATableThatWouldEvictBeforeTheFlowsGoIdle() {
        assertThatThrownBy(() -> settings(65536, Duration.ofSeconds(2))).hasMessageContaining("--table-size 65536 is too small");
        assertThatThrownBy(() -> settings(131072, Duration.ofMillis(1500))).hasMessageContaining("two poll intervals");
        assertThat(settings(131072, Duration.ofSeconds(2)).flows()).isEqualTo(65536);
    }

    private static ExportSettings settings(int table, Duration idle) {
        return new ExportSettings(65536, 1, List.of(ExportMode.IPFIX), table, idle, Duration.ofSeconds(1), 4, 19210, 19220, 60,
                19230, Duration.ofSeconds(60), 0);
    }
}
