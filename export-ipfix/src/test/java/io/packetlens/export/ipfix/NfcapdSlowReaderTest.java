package io.packetlens.export.ipfix;

import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.json.FlowJson;
import io.packetlens.flow.FinishedFlow;
import io.packetlens.peers.Nfcapd;
import io.packetlens.peers.Processes;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A collector slow to read its socket, as on a loaded machine: nfcapd is paused (SIGSTOP) while the exporter sends, and
 * resumed only after the test asked it to stop. Every record the kernel took must still reach nfcapd's file, which
 * holds only if stopping waits for nfcapd's socket queue to empty (nfcapd leaves it unread on SIGTERM).
 */
class NfcapdSlowReaderTest {
    private static final int PORT = 4743;

    @Test
    void recordsQueuedOnTheCollectorsSocketReachItsFile() throws Exception {
        IpfixSettings s = IpfixSettings.defaults(List.of(new Collector(Collector.Transport.UDP, new InetSocketAddress("127.0.0.1", PORT))), 3);
        ExportContext ctx = new ExportContext(i -> "if" + i, 3);
        List<FinishedFlow> flows = new ArrayList<>();
        try (Nfcapd nfcapd = Nfcapd.start(PORT)) {
            signal("-STOP", nfcapd.pid());
            Thread resume = Thread.ofPlatform().unstarted(() -> {
                try {
                    Thread.sleep(500);
                    signal("-CONT", nfcapd.pid());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (ExporterRunner runner = ExporterRunner.start("slow", "ipfix", ExporterSettings.defaults(), new IpfixExporter(s, ctx), ctx)) {
                for (int i = 0; i < 20; i++) {
                    FinishedFlow f = Flows.numbered(i, i % 2 == 0);
                    flows.add(f);
                    runner.offer(f);
                }
                Processes.await("the records sent", Duration.ofSeconds(10), () -> runner.stats().sent() + runner.stats().failed() == 20);
                assertThat(runner.stats().sent()).as("the kernel took every datagram").isEqualTo(20);
            }
            resume.start();
            try {
                nfcapd.stop();
            } finally {
                resume.join();
            }
            List<FlowView> expected = flows.stream().map(f -> FlowView.ofFlowJson(FlowJson.toJson(f, null))).toList();
            assertThat(nfcapd.flows().stream().map(FlowView::ofNfdump).toList()).as(nfcapd.log())
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        if (pid < 0) return;
        new ProcessBuilder("kill", signal, Long.toString(pid)).inheritIO().start().waitFor();
    }
}
