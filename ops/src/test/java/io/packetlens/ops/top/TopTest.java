package io.packetlens.ops.top;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.info.BpfStats;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.ops.Bpftool;
import io.packetlens.ops.OpsLab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * top's numbers against bpftool's {@code run_time_ns} / {@code run_cnt} for the same program over the same interval:
 * exactly with a workload nothing else can add to (test runs of an unattached program), and within a few packets
 * with live traffic through a lab veth.
 */
@KernelTest
class TopTest {

    private static JsonNode bpftool(int id) throws Exception {
        return Bpftool.json("prog", "show", "id", String.valueOf(id));
    }

    private static TopSampler.Row row(TopSampler.Sample s, int id) {
        return s.rows().stream().filter(r -> r.id() == id).findFirst().orElseThrow();
    }

    @Test
    void nsPerRunIsBpftoolsRunTimeOverRunCountForTheSameInterval() throws Exception {
        try (BpfObject obj = OpsLab.spec().load(); BpfStats stats = BpfStats.enable()) {
            BpfProgram p = obj.program("ops_xdp");
            TopSampler top = new TopSampler(i -> i.id() == p.id());
            JsonNode b0 = bpftool(p.id());
            top.sample();
            p.testRun(TestRun.of(new byte[64]).repeat(20_000));
            TopSampler.Sample s = top.sample();
            JsonNode b1 = bpftool(p.id());
            long runs = b1.get("run_cnt").asLong() - b0.path("run_cnt").asLong(0);
            long time = b1.get("run_time_ns").asLong() - b0.path("run_time_ns").asLong(0);
            TopSampler.Row r = row(s, p.id());
            assertThat(r.runs()).isEqualTo(runs).isEqualTo(20_000);
            assertThat(r.runTimeNs()).isEqualTo(time).isPositive();
            assertThat(r.nsPerRun()).isCloseTo((double) time / runs, within(1e-9));
            assertThat(r.runsPerSecond()).isCloseTo(runs / (s.intervalNs() / 1e9), within(1e-6));
            assertThat(r.cpuPercent()).isCloseTo(100.0 * time / s.intervalNs(), within(1e-9)).isBetween(0.0, 100.0);
            assertThat(r.totalRuns()).isEqualTo(b1.get("run_cnt").asLong());
            JsonNode line = Bpftool.JSON.readTree(TopView.json(s, stats.isOpen()));
            assertThat(line.get("programs").get(0).get("ns_per_run").asDouble()).isCloseTo((double) time / runs, within(1e-6));
            assertThat(TopView.table(s, 0, "top")).contains("ops_xdp").contains(String.format("%.1f", (double) time / runs));
        }
    }

    @Test
    void withLiveTrafficTopAgreesWithBpftoolWithinTheFewPacketsBetweenTheirReads() throws Exception {
        try (Lab lab = Lab.create(); BpfObject obj = OpsLab.spec().load(); BpfStats stats = BpfStats.enable()) {
            BpfProgram p = obj.program("ops_xdp");
            try (XdpLink link = lab.b().call(() -> XdpLink.attach(p, lab.b().ifname(), XdpMode.DRIVER))) {
                TopSampler top = new TopSampler(i -> i.id() == p.id());
                JsonNode b0 = bpftool(p.id());
                top.sample();
                Traffic.udp(lab.a(), lab.b(), false, 2000, 64);
                TopSampler.Sample s = top.sample();
                JsonNode b1 = bpftool(p.id());
                long runs = b1.get("run_cnt").asLong() - b0.path("run_cnt").asLong(0);
                long time = b1.get("run_time_ns").asLong() - b0.path("run_time_ns").asLong(0);
                TopSampler.Row r = row(s, p.id());
                assertThat(r.runs()).isBetween(2000L, runs); // bpftool's interval contains top's
                assertThat(runs - r.runs()).as("packets between bpftool's and top's reads").isLessThan(20);
                assertThat(r.nsPerRun()).isCloseTo((double) time / runs, within(0.05 * time / runs));
            }
        }
    }
}
