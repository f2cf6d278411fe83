package io.packetlens.agent;

import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterSpec;
import io.packetlens.export.ExporterStats;
import io.packetlens.export.json.FileExporter;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.lab.Vxlan;
import io.packetlens.monitor.config.MonitorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The agent on real traffic in the lab: /metrics over HTTP, exporters that never stall the poll, a clean failed start. */
@KernelTest
class AgentLabTest {
    private static AgentConfig config(Lab lab, Duration poll) {
        return AgentConfig.defaults()
                .withInterfaces(List.of(new InterfaceSpec(lab.b().ifname(), lab.b().namespace())))
                .withFlows(MonitorConfig.defaults().withPollInterval(poll))
                .withMetrics(new InetSocketAddress("127.0.0.1", 0));
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void metricsAreScrapedOverHttpWhileTrafficFlows(@TempDir Path dir) throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Path log = dir.resolve("flows.json");
            AgentConfig c = config(lab, Duration.ofSeconds(1)).plusExporter(new ExporterSpec("log", "file", ExporterSettings.defaults(),
                    ctx -> new FileExporter(log, FileExporter.DEFAULT_MAX_BYTES, 1, false, ctx)));
            try (Agent agent = Agent.start(c, new Agent.Listener() {})) {
                Traffic.udp(a, b, false, 100, 200);
                agent.monitor().poll();
                String first = scrape(agent.metricsPort());
                assertThat(first).contains("packetlens_packets_total{direction=\"ingress\",interface=\"veth0\",protocol=\"udp\",tunnel=\"\",tunnel_id=\"\"} 100.0");
                assertThat(first).contains("packetlens_bytes_total{direction=\"ingress\",interface=\"veth0\",protocol=\"udp\",tunnel=\"\",tunnel_id=\"\"} "
                        + 100 * (14 + 20 + 8 + 200) + ".0");
                assertThat(first).contains("packetlens_active_flows 1.0").contains("packetlens_flow_table_capacity 65536.0")
                        .contains("packetlens_flow_table_overflow_packets_total 0.0").contains("packetlens_ringbuf_drops_total 0.0")
                        .contains("packetlens_exporter_queue_capacity{exporter=\"log\"} 131072.0")
                        .contains("packetlens_exporter_connected{exporter=\"log\"} 1.0")
                        .contains("process_cpu_seconds_total").contains("jvm_memory_used_bytes");
                Traffic.udp(a, b, true, 50, 100);
                Traffic.ping(a, b, false, 3);
                agent.monitor().poll();
                String second = scrape(agent.metricsPort());
                assertThat(second).contains("packetlens_packets_total{direction=\"ingress\",interface=\"veth0\",protocol=\"udp\",tunnel=\"\",tunnel_id=\"\"} 150.0")
                        .contains("packetlens_packets_total{direction=\"ingress\",interface=\"veth0\",protocol=\"icmp\",tunnel=\"\",tunnel_id=\"\"} 3.0")
                        .contains("packetlens_active_flows 3.0");
                AgentSnapshot fin = agent.stop();
                assertThat(fin.exporters().getFirst().sent()).isEqualTo(3);
                String last = scrape(agent.metricsPort());
                assertThat(last).contains("packetlens_flow_records_total 3.0")
                        .contains("packetlens_exporter_records_total{exporter=\"log\",outcome=\"sent\",type=\"file\"} 3.0")
                        .contains("packetlens_exporter_records_total{exporter=\"log\",outcome=\"dropped\",type=\"file\"} 0.0");
                assertThat(Files.readAllLines(log)).hasSize(3);
            }
            assertThat(b.exec("ip", "link", "show", "veth0")).as("detached on stop").doesNotContain("xdp");
        }
    }

    /** Packets out of a VXLAN tunnel are counted under the tunnel's type and VNI, and their bytes are the outer frames'. */
    @Test
    void tunnelledTrafficIsLabelledWithItsTunnel() throws Exception {
        try (Lab lab = Lab.create()) {
            Vxlan v = Vxlan.create(lab, 42);
            try (Agent agent = Agent.start(config(lab, Duration.ofSeconds(1)), new Agent.Listener() {})) {
                Traffic.udp(lab.a(), lab.b(), InetAddress.ofLiteral(v.innerB()), 20, 100, Traffic.UDP_PORT);
                agent.monitor().poll();
                String m = scrape(agent.metricsPort());
                assertThat(m).contains("packetlens_packets_total{direction=\"ingress\",interface=\"veth0\",protocol=\"udp\",tunnel=\"vxlan\",tunnel_id=\"42\"} 20.0")
                        .contains("packetlens_bytes_total{direction=\"ingress\",interface=\"veth0\",protocol=\"udp\",tunnel=\"vxlan\",tunnel_id=\"42\"} "
                                + 20 * (Vxlan.OVERHEAD + 20 + 8 + 100) + ".0")
                        .doesNotContain("protocol=\"udp\",tunnel=\"\"");
            }
        }
    }

    /**
     * A destination that stops reading: a FIFO whose reader never reads. Its writer blocks in write(2) once the pipe
     * buffer is full, as a stuck collector connection would. The agent goes on polling at its interval, drops what
     * the full queue cannot hold, and counts every record.
     */
    @Test
    void aDestinationThatStopsReadingNeverStallsThePoll(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("stuck.fifo");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        try (Lab lab = Lab.create(); InputStream neverRead = openReader(fifo)) {
            Host a = lab.a(), b = lab.b();
            ExporterSettings tiny = ExporterSettings.defaults().queueCapacity(50).flushTimeout(Duration.ofMillis(500));
            AgentConfig c = config(lab, Duration.ofMillis(200)).withFlows(MonitorConfig.defaults().withPollInterval(Duration.ofMillis(200))
                    .withTimeouts(Duration.ofSeconds(60), Duration.ofMillis(400)));
            c = c.plusExporter(new ExporterSpec("stuck", "file", tiny, ctx -> new FileExporter(fifo, Long.MAX_VALUE, 0, false, ctx)));
            int[] polls = {0};
            try (Agent agent = Agent.start(c, new Agent.Listener() {
                @Override
                public void polled(AgentSnapshot s) {
                    polls[0]++;
                }
            })) {
                // 2,000 flows of one datagram each, finishing every idle timeout: far more than a pipe buffer holds
                Thread sender = Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 40; i++) Traffic.udp(a, b, false, 1, 8, 20_000 + i);
                        for (int round = 0; round < 50; round++) {
                            for (int i = 0; i < 40; i++) Traffic.udp(a, b, false, 1, 8, 21_000 + round * 40 + i);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                // at least 4 s, then on until the sender is done and the queue has dropped (a loaded machine sends
                // slower), 60 s at most; the poll count is judged against the time it actually ran
                long t0 = System.nanoTime(), deadline = t0 + Duration.ofSeconds(60).toNanos();
                agent.runUntil(t0 + Duration.ofSeconds(4).toNanos());
                while ((sender.isAlive() || agent.snapshot().exporters().getFirst().dropped() == 0) && System.nanoTime() < deadline) {
                    agent.runUntil(System.nanoTime() + Duration.ofMillis(500).toNanos());
                }
                sender.join();
                double seconds = (System.nanoTime() - t0) / 1e9;
                ExporterStats s = agent.snapshot().exporters().getFirst();
                // 5 per second at 200 ms; at least 3 per second (12 in the first 4 s) while the destination is stuck
                assertThat(polls[0]).as("polls in %.1f s at 200 ms, while the destination is stuck", seconds)
                        .isGreaterThanOrEqualTo((int) (seconds * 3));
                assertThat(s.dropped()).as("the full queue dropped records, counted").isPositive();
                AgentSnapshot fin = agent.stop();
                ExporterStats end = fin.exporters().getFirst();
                assertThat(end.offered()).isEqualTo(fin.flows().totals().records());
                assertThat(end.sent() + end.dropped() + end.failed()).as("every record is sent, dropped or failed").isEqualTo(end.offered());
                assertThat(end.failed()).as("what was queued when the flush timeout ran out").isPositive();
            }
        }
    }

    private static InputStream openReader(Path fifo) throws Exception {
        // opening a FIFO blocks until the other end opens: open the reader on its own thread
        var f = new java.util.concurrent.CompletableFuture<InputStream>();
        Thread.ofPlatform().daemon(true).start(() -> {
            try {
                f.complete(Files.newInputStream(fifo));
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        });
        return new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException("this reader never reads");
            }

            @Override
            public void close() throws java.io.IOException {
                try {
                    if (f.isDone()) f.get().close();
                } catch (Exception e) {
                    throw new java.io.IOException(e);
                }
            }
        };
    }

    @Test
    void aFailedStartLeavesNothingAttached() throws Exception {
        try (Lab lab = Lab.create()) {
            Host b = lab.b();
            AgentConfig c = config(lab, Duration.ofSeconds(1))
                    .withInterfaces(List.of(new InterfaceSpec(b.ifname(), b.namespace()), new InterfaceSpec("nosuch0", b.namespace())));
            assertThatThrownBy(() -> Agent.start(c, new Agent.Listener() {})).hasMessageContaining("nosuch0");
            assertThat(b.exec("ip", "link", "show", "veth0")).as("the first interface was attached, then undone").doesNotContain("xdp");
            AgentConfig noNs = config(lab, Duration.ofSeconds(1)).withInterfaces(List.of(new InterfaceSpec("veth0", "pl-no-such-ns")));
            assertThatThrownBy(() -> Agent.start(noNs, new Agent.Listener() {})).hasMessageContaining("no network namespace 'pl-no-such-ns'");
        }
    }
}
