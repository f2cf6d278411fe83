package io.packetlens.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.testkit.KernelTest;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Restarts lose nothing: an agent with pinned tables is killed with SIGKILL mid-traffic, the kernel goes on counting
 * while no agent runs, a second agent carries on, and a last one ends it for good with --unpin. The records of the
 * three processes add up to exactly the datagrams sent. Each agent is a real JVM process of its own.
 */
@KernelTest
class AgentRestartTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Process agent(Path config, Path out, String... extra) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", cp, "io.packetlens.cli.Main", "agent", "--config", config.toString()));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.appendTo(out.resolveSibling(out.getFileName() + ".err").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    /** Sum of packetDeltaCount over the UDP records to the lab's UDP port; every line must be whole JSON. */
    private static long udpPackets(Path out) throws Exception {
        long sum = 0;
        for (String line : Files.readAllLines(out)) {
            if (!line.startsWith("{")) continue;
            JsonNode n = JSON.readTree(line); // a half-written line would fail here
            if (n.has("packetDeltaCount") && n.get("protocolIdentifier").asInt() == 17
                    && n.get("destinationTransportPort").asInt() == Traffic.UDP_PORT) {
                sum += n.get("packetDeltaCount").asLong();
            }
        }
        return sum;
    }

    private static long records(Path out) throws Exception {
        return Files.readAllLines(out).stream().filter(l -> l.startsWith("{") && l.contains("packetDeltaCount")).count();
    }

    private static void awaitLine(Path out, Process p, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (records(out) == 0) {
            if (!p.isAlive()) throw new AssertionError("the agent exited before " + what + ": " + Files.readString(out.resolveSibling(out.getFileName() + ".err")));
            if (System.nanoTime() > deadline) throw new AssertionError("no flow record within 30 s (" + what + ")");
            Thread.sleep(50);
        }
    }

    private static void awaitXdp(Host h) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!h.exec("ip", "-d", "link", "show", h.ifname()).contains("prog/xdp")) {
            if (System.nanoTime() > deadline) throw new AssertionError("no XDP program attached within 30 s");
            Thread.sleep(50);
        }
    }

    @Test
    void aKilledAgentsSuccessorCarriesOnAndTheTotalsAreExact(@TempDir Path dir) throws Exception {
        Path mount = Path.of("/tmp/pl-restart-" + ProcessHandle.current().pid());
        Bpffs.mountPrivate(mount);
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, """
                    interfaces: [{name: %s, netns: %s}]
                    flows: {poll-interval: 1s, timeouts: {active: 2s, idle: 30s}}
                    metrics: {enabled: false}
                    pin: %s
                    exporters: [{type: stdout}]
                    """.formatted(b.ifname(), b.namespace(), mount.resolve("agent")));
            Path out1 = dir.resolve("run1.json"), out2 = dir.resolve("run2.json"), out3 = dir.resolve("run3.json");
            AtomicLong sent = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Process first = agent(config, out1);
            awaitXdp(b);
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        sent.addAndGet(Traffic.udp(a, b, false, 20, 64).packets());
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            awaitLine(out1, first, "the first agent's first records");
            Thread.sleep(2500); // half a poll interval after some poll: kill it mid-interval, mid-traffic
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no drain, no detach
            first.waitFor();
            assertThat(first.exitValue()).as("killed by SIGKILL").isEqualTo(137);
            Thread.sleep(1000);
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("the pinned link outlives its process").contains("prog/xdp");

            Process second = agent(config, out2);
            awaitLine(out2, second, "the second agent's first records");
            Thread.sleep(2000);
            stop.set(true);
            sender.join();
            Thread.sleep(300);
            second.destroy(); // SIGTERM: a pinned agent reports what is due and leaves the tables counting
            assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).contains("prog/xdp");

            Process last = agent(config, out3, "--unpin");
            assertThat(last.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(last.exitValue()).as(Files.readString(dir.resolve("run3.json.err"))).isZero();

            long counted = udpPackets(out1) + udpPackets(out2) + udpPackets(out3);
            assertThat(udpPackets(out1)).as("the first agent reported some").isPositive();
            assertThat(udpPackets(out2)).as("the second agent reported some").isPositive();
            assertThat(counted).as("datagrams across three agents and the time none ran").isEqualTo(sent.get());
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("--unpin detached it").doesNotContain("prog/xdp");
            assertThat(mount.resolve("agent/flows")).as("--unpin removed the pins").doesNotExist();
        } finally {
            Bpffs.unmount(mount);
            Files.deleteIfExists(mount);
        }
    }
}
