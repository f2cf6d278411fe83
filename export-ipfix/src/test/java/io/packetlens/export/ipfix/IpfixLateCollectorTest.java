package io.packetlens.export.ipfix;

import io.packetlens.export.ExportContext;
import io.packetlens.export.ExporterRunner;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterStats;
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
 * UDP towards a port where nothing listens yet, then nfcapd starts: after the next template resend it decodes what
 * follows. What the kernel refused meanwhile is counted as failed, and the run goes on.
 */
class IpfixLateCollectorTest {
    private static final int PORT = 4742;

    @Test
    void aCollectorStartedLateDecodesFlowsAfterTheNextTemplateResend() throws Exception {
        IpfixSettings s = IpfixSettings.defaults(List.of(new Collector(Collector.Transport.UDP, new InetSocketAddress("127.0.0.1", PORT))), 3)
                .withTemplateRefresh(Duration.ofMillis(400), 0);
        ExportContext ctx = new ExportContext(i -> "if" + i, 3);
        IpfixExporter exporter = new IpfixExporter(s, ctx);
        ExporterRunner runner = ExporterRunner.start("late", "ipfix", ExporterSettings.defaults(), exporter, ctx);
        try {
            for (int i = 0; i < 10; i++) runner.offer(Flows.numbered(i, i % 2 == 0));
            Processes.await("the first records settled", Duration.ofSeconds(10), () -> runner.stats().sent() + runner.stats().failed() == 10);
            Thread.sleep(500); // a template resend or two into the void
            List<FinishedFlow> later = new ArrayList<>();
            try (Nfcapd nfcapd = Nfcapd.start(PORT)) {
                long before = exporter.collectorStats().getFirst().templateMessages();
                Processes.await("a template resend nfcapd can hear", Duration.ofSeconds(5),
                        () -> exporter.collectorStats().getFirst().templateMessages() > before);
                for (int i = 100; i < 110; i++) {
                    FinishedFlow f = Flows.numbered(i, i % 2 == 0);
                    later.add(f);
                    runner.offer(f);
                }
                Processes.await("the later records sent", Duration.ofSeconds(10), () -> runner.stats().sent() + runner.stats().failed() == 20);
                runner.close();
                nfcapd.stop();
                List<FlowView> expected = later.stream().map(f -> FlowView.ofFlowJson(FlowJson.toJson(f, null))).toList();
                assertThat(nfcapd.flows().stream().map(FlowView::ofNfdump).toList()).as(nfcapd.log())
                        .containsExactlyInAnyOrderElementsOf(expected);
            }
            ExporterStats stats = runner.stats();
            CollectorStats c = exporter.collectorStats().getFirst();
            assertThat(stats.sent() + stats.failed()).isEqualTo(20);
            assertThat(stats.failed()).as("only records sent before nfcapd listened can be lost").isLessThanOrEqualTo(10);
            assertThat(c.refusedRecords()).as("what the kernel refused is what the runner counts failed").isEqualTo(stats.failed());
            assertThat(c.sequence()).as("the sequence number counts refused records too, so collectors see the gap").isEqualTo(20);
            assertThat(stats.dropped()).isZero();
        } finally {
            runner.close();
        }
    }
}
