package io.packetlens.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.programs.PacketCounter;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** inspect, inspect map, top and doctor as commands: what they print, checked against bpftool and the kernel. */
@KernelTest
class OpsCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();




    private JsonNode bpftool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bpftool", "-j"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        return JSON.readTree(p.getInputStream().readAllBytes());
    }

    @Test
    void inspectShowsTheCounterAttachedInTheLabAndDumpsItsMap() throws Exception {
        try (Lab lab = Lab.create(); PacketCounter counter = PacketCounter.load()) {
            Host b = lab.b();
            XdpLink link = b.call(() -> counter.attach(b.ifname(), XdpMode.GENERIC));
            int prog = counter.program().id();

            assertThat(Main.run("inspect", "--json")).isZero();
            JsonNode inv = JSON.readTree(console.stdout());
            JsonNode p = null;
            for (JsonNode n : inv.get("programs")) if (n.get("id").asInt() == prog) p = n;
            JsonNode show = bpftool("prog", "show", "id", String.valueOf(prog));
            assertThat(p.get("name")).isEqualTo(show.get("name"));
            assertThat(p.get("tag")).isEqualTo(show.get("tag"));
            assertThat(p.get("bytes_memlock")).isEqualTo(show.get("bytes_memlock"));
            assertThat(p.get("attached").get(0).get("text").asText())
                    .isEqualTo("xdp " + b.ifname() + " (netns " + b.namespace() + ") generic mode, link " + link.id());
            List<Long> pids = new ArrayList<>();
            p.get("pids").forEach(n -> pids.add(n.get("pid").asLong()));
            assertThat(pids).contains(ProcessHandle.current().pid());

            console.resetOut();
            assertThat(Main.run("inspect", "--programs")).isZero();
            assertThat(console.stdout()).startsWith("programs (").contains(" " + prog + "  xdp").doesNotContain("\nmaps (");

            // the counter's per-CPU array, formatted from its BTF, as bpftool formats it
            int counts = counter.counts().id();
            console.resetOut();
            assertThat(Main.run("inspect", "map", String.valueOf(counts), "--json")).isZero();
            JsonNode dump = JSON.readTree(console.stdout());
            JsonNode theirs = bpftool("map", "dump", "id", String.valueOf(counts));
            assertThat(dump).hasSize(theirs.size());
            for (int i = 0; i < dump.size(); i++) {
                assertThat(dump.get(i).get("key").toString()).isEqualTo(theirs.get(i).get("formatted").get("key").toString());
                assertThat(dump.get(i).get("values").toString()).isEqualTo(theirs.get(i).get("formatted").get("values").toString());
            }
            console.resetOut();
            assertThat(Main.run("inspect", "map", String.valueOf(counts))).isZero();
            assertThat(console.stdout()).endsWith(dump.size() + " entries\n");
        }
    }

    @Test
    void topReportsWhatBpftoolMeasuresForTheSameRuns() throws Exception {
        try (PacketCounter counter = PacketCounter.load()) {
            int prog = counter.program().id();
            // runs until top has finished: a fixed number of them could all come before a slow start of top
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            Thread runner = Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    counter.program().testRun(TestRun.of(new byte[64]).repeat(500));
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            int code = Main.run("top", "--json", "--count", "3", "--interval", "200ms", "--id", String.valueOf(prog));
            done.set(true);
            runner.join();
            assertThat(code).isZero();
            List<JsonNode> lines = new ArrayList<>();
            for (String l : console.stdout().split("\n")) lines.add(JSON.readTree(l));
            assertThat(lines).hasSize(3);
            long runs = 0, time = 0;
            for (JsonNode l : lines) {
                assertThat(l.get("stats_enabled").asBoolean()).isTrue();
                JsonNode r = l.get("programs").get(0);
                assertThat(r.get("id").asInt()).isEqualTo(prog);
                runs += r.get("runs").asLong();
                time += r.get("run_time_ns").asLong();
                if (r.get("runs").asLong() > 0) {
                    assertThat(r.get("ns_per_run").asDouble()).isEqualTo((double) r.get("run_time_ns").asLong() / r.get("runs").asLong());
                }
            }
            // the last line's totals are the kernel's counters, which bpftool reads the same
            JsonNode last = lines.getLast().get("programs").get(0);
            JsonNode show = bpftool("prog", "show", "id", String.valueOf(prog));
            assertThat(show.get("run_cnt").asLong()).isGreaterThanOrEqualTo(last.get("run_cnt").asLong()).isGreaterThanOrEqualTo(runs);
            assertThat(runs).isPositive();
            assertThat(time).isPositive();
        }
    }

    @Test
    void doctorInALabNamespaceAndItsErrors() throws Exception {
        try (Lab lab = Lab.create()) {
            Host b = lab.b();
            int code = b.call(() -> Main.run("doctor", "--json"));
            JsonNode report = JSON.readTree(console.stdout());
            List<String> names = new ArrayList<>();
            report.get("checks").forEach(c -> names.add(c.get("check").asText()));
            assertThat(names).contains("kernel", "btf", "jit", "capabilities", "bpffs", "tracefs", "cgroup2", "memory-accounting",
                    "ringbuf", "tcx", "af-xdp", "kprobes", "xdp-native:" + b.ifname(), "xsk-zerocopy:" + b.ifname());
            assertThat(code).isEqualTo(report.get("summary").asText().endsWith(" 0 missing") ? 0 : 1);
            console.resetOut();
            assertThat(b.call(() -> Main.run("doctor", "-i", "nosuch0"))).isEqualTo(1);
            assertThat(console.stdout()).contains("missing   interface:nosuch0").contains("fix: see `ip link show`");
        }
        console.resetErr();
        assertThat(Main.run("inspect", "map", "999999999")).isEqualTo(2);
        assertThat(console.stderr()).contains("no BPF map with id 999999999");
        assertThat(Main.run("inspect", "map", "flows")).isEqualTo(2);
        assertThat(console.stderr()).contains("is neither a map id (a number) nor a bpffs path");
        assertThat(Main.run("top", "--interval", "soon")).isEqualTo(2);
        assertThat(console.stderr()).contains("--interval: 'soon' is not a duration");
    }
}
