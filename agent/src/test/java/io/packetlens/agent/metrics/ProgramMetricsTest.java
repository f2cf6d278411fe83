package io.packetlens.agent.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.TestRun;
import io.packetlens.programs.PacketCounter;
import io.packetlens.testkit.KernelTest;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** packetlens's own programs' run time as Prometheus metrics: what a scrape shows is what bpftool reads from the kernel. */
@KernelTest
class ProgramMetricsTest {

    private static String scrape(PrometheusRegistry registry) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    private static double value(String text, String metric, int id) {
        Matcher m = Pattern.compile("(?m)^" + metric + "\\{[^}]*id=\"" + id + "\"[^}]*\\} (\\S+)$").matcher(text);
        assertThat(m.find()).as(metric + " for program " + id + " in\n" + text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aScrapeShowsTheRunsAndRunTimeBpftoolReads() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        try (PacketCounter counter = PacketCounter.load();
             ProgramMetrics metrics = ProgramMetrics.register(registry, () -> List.of(counter.program().id()), true)) {
            BpfProgram p = counter.program();
            p.testRun(TestRun.of(new byte[64]).repeat(3000));
            String text = scrape(registry);
            Process bpftool = new ProcessBuilder("bpftool", "-j", "prog", "show", "id", String.valueOf(p.id())).start();
            JsonNode show = new ObjectMapper().readTree(bpftool.getInputStream().readAllBytes());
            assertThat(value(text, "packetlens_bpf_program_runs_total", p.id())).isEqualTo(show.get("run_cnt").asDouble()).isGreaterThanOrEqualTo(3000);
            assertThat(value(text, "packetlens_bpf_program_run_seconds_total", p.id())).isCloseTo(show.get("run_time_ns").asDouble() / 1e9, within(1e-9));
            assertThat(text).contains("program=\"" + p.name() + "\"").contains("type=\"xdp\"").contains("packetlens_bpf_stats_enabled 1");
        }
    }
}
