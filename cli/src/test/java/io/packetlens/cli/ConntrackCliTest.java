package io.packetlens.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code packetlens conntrack}: tracks a lab interface, lists what it saw with filters and as JSON, refuses bad filters. */
@KernelTest
class ConntrackCliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void listsTheConnectionsItTrackedFilteredAndAsJson() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Main.run("conntrack", "-i",
                    b.namespace() + "/" + b.ifname(), "--duration", "8", "--json", "-p", "icmp", "-s", a.ipv4()));
            // wait until the tracker is loaded (then give the attachment a moment)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!new ProcessBuilder("bpftool", "prog", "show", "name", "ct_tc_egress").start().inputReader().lines()
                    .findAny().isPresent() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(400);
            a.exec("ping", "-c", "2", "-i", "0.2", "-W", "1", b.ipv4());
            b.exec("ping", "-c", "1", "-W", "1", a.ipv4()); // the other way: filtered out by -s
            assertThat(run.get(20, TimeUnit.SECONDS)).isZero();
            JsonNode root = new ObjectMapper().readTree(console.stdout());
            JsonNode cs = root.get("connections");
            assertThat(cs).hasSize(1);
            assertThat(cs.get(0).get("protocol").asText()).isEqualTo("icmp");
            assertThat(cs.get(0).get("source").asText()).isEqualTo(a.ipv4());
            assertThat(cs.get(0).get("original").get("packets").asLong()).isEqualTo(2);
            assertThat(cs.get(0).get("reply").get("packets").asLong()).isEqualTo(2);
            assertThat(root.get("counters").get("created").asLong()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aBadFilterIsRefusedBeforeAnythingLoads() {
        assertThat(Main.run("conntrack", "-i", "lo", "--state", "sleepy")).isEqualTo(2);
        assertThat(console.stderr()).contains("unknown connection state 'sleepy'");
        assertThat(Main.run("conntrack", "-i", "lo", "-p", "tcpx")).isEqualTo(2);
        assertThat(console.stderr()).contains("unknown protocol 'tcpx'");
    }
    @Test
    void watchesEventsWithMinusE() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> Main.run("conntrack", "-i",
                    b.namespace() + "/" + b.ifname(), "--duration", "8", "-E", "--json", "-p", "icmp"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!new ProcessBuilder("bpftool", "prog", "show", "name", "ct_tc_egress").start().inputReader().lines()
                    .findAny().isPresent() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(400);
            a.exec("ping", "-c", "2", "-i", "0.2", "-W", "1", b.ipv4());
            assertThat(run.get(20, TimeUnit.SECONDS)).isZero();
            List<JsonNode> lines = new java.util.ArrayList<>();
            for (String l : console.stdout().strip().split("\n")) lines.add(new ObjectMapper().readTree(l));
            assertThat(lines).extracting(j -> j.get("event").asText()).containsExactly("new", "established");
            assertThat(lines.get(0).get("source").asText()).isEqualTo(a.ipv4());
            assertThat(console.stderr()).contains("events lost");
        }
    }
}
