package io.packetlens.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterSpec;
import io.packetlens.export.json.FileExporter;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.alert.AlertType;
import io.packetlens.monitor.config.MonitorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Prometheus server (Debian's prometheus, started by the test) scrapes the agent: its query API returns the
 * packet counters the agent's JSON records add up to, and every query of the Grafana dashboard in
 * packaging/grafana evaluates, on metrics that exist.
 */
@KernelTest
class PrometheusScrapeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path DASHBOARD = Path.of("../packaging/grafana/packetlens-dashboard.json");

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static JsonNode query(int port, String promql) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode n = JSON.readTree(r.body());
        assertThat(n.path("status").asText()).as(promql + " -> " + r.body()).isEqualTo("success");
        return n.path("data").path("result");
    }

    /** The single value of an instant query, or -1 when it has no result yet. */
    private static double value(int port, String promql) throws Exception {
        JsonNode result = query(port, promql);
        return result.isEmpty() ? -1 : result.get(0).path("value").get(1).asDouble();
    }

    private static Process prometheus(Path dir, int port, int agentPort) throws Exception {
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: packetlens
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(agentPort));
        return new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private static void await(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                if (check.holds()) return;
            } catch (java.net.ConnectException notListeningYet) {
                // Prometheus is still starting
            }
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(200);
        }
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    @Test
    void prometheusSeesThePacketsTheJsonRecordsAddUpTo(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("flows.json");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            AgentConfig c = AgentConfig.defaults()
                    .withInterfaces(List.of(new InterfaceSpec(b.ifname(), b.namespace())))
                    .withFlows(MonitorConfig.defaults().withPollInterval(Duration.ofMillis(500))
                            .withAlerts(List.of(new MonitorConfig.AlertRuleConfig(AlertType.PORT_SCAN, 10, Duration.ofSeconds(10)))))
                    .withMetrics(new InetSocketAddress("127.0.0.1", 0))
                    .plusExporter(new ExporterSpec("log", "file", ExporterSettings.defaults(),
                            ctx -> new FileExporter(log, FileExporter.DEFAULT_MAX_BYTES, 1, false, ctx)));
            int promPort = freePort();
            try (Agent agent = Agent.start(c, new Agent.Listener() {})) {
                Process prom = prometheus(dir, promPort, agent.metricsPort());
                try {
                    await("Prometheus to scrape the agent", () -> {
                        if (!prom.isAlive()) throw new AssertionError("prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
                        return value(promPort, "up{job=\"packetlens\"}") == 1;
                    });
                    Traffic.udp(a, b, false, 300, 120);
                    Traffic.udp(a, b, true, 200, 80);
                    Traffic.ping(a, b, false, 5);
                    Traffic.tcp(a, b, false, 50_000);
                    for (int p = 0; p < 20; p++) Traffic.udp(a, b, false, 1, 8, 30_000 + p); // trips the port-scan rule
                    agent.runUntil(System.nanoTime() + Duration.ofSeconds(2).toNanos());
                    AgentSnapshot fin = agent.stop(); // detach and drain: every packet is in a record now
                    long records = fin.flows().totals().records();
                    await("Prometheus to scrape the final counts", () -> value(promPort, "packetlens_flow_records_total") == records);

                    // the JSON records, summed per protocol, against Prometheus's view of the agent's counters
                    long jsonUdp = 0, jsonIcmp = 0, jsonTcp = 0, jsonAll = 0;
                    for (String line : Files.readAllLines(log)) {
                        JsonNode r = JSON.readTree(line);
                        long p = r.get("packetDeltaCount").asLong();
                        jsonAll += p;
                        switch (r.get("protocolIdentifier").asInt()) {
                            case 17 -> jsonUdp += p;
                            case 1 -> jsonIcmp += p;
                            case 6 -> jsonTcp += p;
                            default -> { }
                        }
                    }
                    assertThat(jsonUdp).isEqualTo(300 + 200 + 20);
                    assertThat(value(promPort, "sum(packetlens_packets_total{protocol=\"udp\"})")).isEqualTo(jsonUdp);
                    assertThat(value(promPort, "sum(packetlens_packets_total{protocol=\"icmp\"})")).isEqualTo(jsonIcmp);
                    assertThat(value(promPort, "sum(packetlens_packets_total{protocol=\"tcp\"})")).isEqualTo(jsonTcp);
                    assertThat(value(promPort, "sum(packetlens_packets_total{protocol=~\"udp|icmp|tcp|icmpv6\"})"))
                            .as("all IP flow packets").isEqualTo(jsonAll);
                    assertThat(jsonAll).isEqualTo(fin.flows().totals().flowTraffic().packets());
                    assertThat(value(promPort, "packetlens_exporter_records_total{exporter=\"log\",outcome=\"sent\"}")).isEqualTo(records);
                    assertThat(value(promPort, "sum(packetlens_alerts_total)")).isEqualTo(1);

                    // every query of the dashboard evaluates, and every metric it names is scraped
                    Set<String> names = new TreeSet<>();
                    for (JsonNode n : query(promPort, "count by (__name__) ({job=\"packetlens\"})")) names.add(n.path("metric").path("__name__").asText());
                    for (String expr : dashboardQueries()) {
                        query(promPort, expr.replace("$__rate_interval", "1m").replace("$instance", ".*"));
                        Matcher m = Pattern.compile("\\b((?:packetlens|process|jvm)_[a-z_]+)").matcher(expr);
                        while (m.find()) assertThat(names).as("a metric the dashboard uses, in: " + expr).contains(m.group(1));
                    }
                } finally {
                    prom.destroy();
                    prom.waitFor(10, TimeUnit.SECONDS);
                    if (prom.isAlive()) prom.destroyForcibly();
                }
            }
        }
    }

    private static List<String> dashboardQueries() throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : JSON.readTree(DASHBOARD.toFile()).path("panels")) {
            for (JsonNode t : panel.path("targets")) out.add(t.path("expr").asText());
        }
        assertThat(out).hasSizeGreaterThan(10);
        return out;
    }
}
