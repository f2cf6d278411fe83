package io.packetlens.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code packetlens flows} and {@code packetlens capture} with BPF unavailable to the process: each runs as a child
 * JVM in the lab's receiving namespace with CAP_NET_RAW as its only capability (root's uid, every other capability
 * gone from its bounding set, so bpf(2) fails with EPERM: this kernel has unprivileged BPF disabled). flows must say
 * so loudly, fall back to AF_PACKET and count the lab's traffic packet for packet and byte for byte, marked fallback;
 * with --no-fallback it must fail with a clear message and a non-zero exit; capture must fall back and write a pcapng
 * file that tshark reads with the right packet count.
 */
@KernelTest
class FallbackCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** packetlens in a child JVM in {@code h}'s namespace, with CAP_NET_RAW only. */
    private static Process packetlens(Host h, Path out, Path err, String... args) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", h.namespace(),
                "setpriv", "--bounding-set=-all,+net_raw", "--inh-caps=-all",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", cp, "io.packetlens.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private static void awaitText(Path file, Process p, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.readString(file).contains(text)) {
            if (!p.isAlive()) throw new AssertionError("exited (" + p.exitValue() + ") before '" + text + "': " + Files.readString(file));
            if (System.nanoTime() > deadline) throw new AssertionError("no '" + text + "' within 30 s: " + Files.readString(file));
            Thread.sleep(50);
        }
    }

    private static void awaitExit(Process p, Path err) throws Exception {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not exit: " + Files.readString(err));
        }
    }

    @Test
    void withoutBpfFlowsFallsBackAndCountsEveryPacket() throws Exception {
        Path out = dir.resolve("flows.json"), err = dir.resolve("flows.err");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Process flows = packetlens(b, out, err, "flows", "-i", b.ifname(), "--json", "--no-metrics", "--duration", "5");
            Map<Integer, Long> sent = new HashMap<>(); // UDP destination port -> datagrams
            try {
                awaitText(err, flows, "AF_PACKET fallback counting on");
                for (int port = 9000; port < 9005; port++) {
                    Traffic.udp(a, b, false, 60 + 20 * (port - 9000), 100, port);
                    sent.put(port, 60L + 20 * (port - 9000));
                }
                Traffic.udp(a, b, true, 150, 1000, 9100);
                Traffic.ping(a, b, false, 5);
                awaitExit(flows, err);
            } finally {
                flows.destroyForcibly();
            }
            assertThat(flows.exitValue()).as("exit status; stderr: %s", Files.readString(err)).isZero();
            String stderr = Files.readString(err);
            assertThat(stderr).contains("could not be loaded").contains("EPERM").contains("FALLING BACK to AF_PACKET");

            Map<String, long[]> flowsSeen = new HashMap<>(); // "proto/family/dport" -> {packets, frame bytes, IP bytes}
            JsonNode summary = null;
            for (String line : Files.readAllLines(out)) {
                JsonNode n = JSON.readTree(line);
                if (n.has("summary")) {
                    summary = n.get("summary");
                    continue;
                }
                assertThat(n.path("fallback").asBoolean()).as("marked fallback: %s", line).isTrue();
                boolean v4 = n.has("sourceIPv4Address");
                if (!n.path(v4 ? "sourceIPv4Address" : "sourceIPv6Address").asText().equals(v4 ? a.ipv4() : a.ipv6())) continue;
                int dport = n.has("destinationTransportPort") ? n.get("destinationTransportPort").asInt() : n.path("icmpTypeCodeIPv4").asInt();
                String key = n.get("protocolIdentifier").asInt() + "/" + (v4 ? 4 : 6) + "/" + dport;
                flowsSeen.merge(key, new long[] {n.get("packetDeltaCount").asLong(), n.get("layer2OctetDeltaCount").asLong(),
                        n.get("octetDeltaCount").asLong()}, (x, y) -> new long[] {x[0] + y[0], x[1] + y[1], x[2] + y[2]});
            }
            for (var e : sent.entrySet()) {
                long n = e.getValue();
                assertThat(flowsSeen.get("17/4/" + e.getKey())).as("UDP to port %d", e.getKey())
                        .containsExactly(n, n * (14 + 20 + 8 + 100), n * (20 + 8 + 100));
            }
            assertThat(flowsSeen.get("17/6/9100")).containsExactly(150L, 150L * (14 + 40 + 8 + 1000), 150L * (40 + 8 + 1000));
            assertThat(flowsSeen.get("1/4/" + (8 << 8))).as("echo requests").containsExactly(5L, 5L * (14 + 20 + 8 + 56), 5L * (20 + 8 + 56));
            assertThat(summary).isNotNull();
            assertThat(summary.get("fallback").asBoolean()).isTrue();
            assertThat(summary.get("fallbackReason").asText()).contains("EPERM");
            assertThat(summary.at("/losses/ringDrops").asLong()).isZero();
            assertThat(summary.at("/losses/tableFullPackets").asLong()).isZero();
        }
    }

    @Test
    void withNoFallbackFlowsFailsWithAClearMessage() throws Exception {
        Path out = dir.resolve("nofallback.out"), err = dir.resolve("nofallback.err");
        try (Lab lab = Lab.create()) {
            Host b = lab.b();
            Process flows = packetlens(b, out, err, "flows", "-i", b.ifname(), "--json", "--no-metrics", "--duration", "2", "--no-fallback");
            awaitExit(flows, err);
            assertThat(flows.exitValue()).isNotZero();
            assertThat(Files.readString(err)).contains("flows needs CAP_BPF").doesNotContain("FALLING BACK");
            assertThat(Files.readString(out)).doesNotContain("packetDeltaCount");
        }
    }

    @Test
    void withoutBpfCaptureFallsBackAndWritesAFileTsharkReads() throws Exception {
        Path file = dir.resolve("fallback.pcapng"), out = dir.resolve("capture.out"), err = dir.resolve("capture.err");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Process capture = packetlens(b, out, err, "capture", "-i", b.ifname(), "-w", file.toString(), "-c", "100", "--duration", "30",
                    "udp", "port", "9000");
            try {
                awaitText(err, capture, "FALLBACK from an AF_PACKET ring");
                Traffic.udp(a, b, false, 40, 64, 9001); // not matching
                Traffic.udp(a, b, false, 150, 64, 9000);
                awaitExit(capture, err);
            } finally {
                capture.destroyForcibly();
            }
            assertThat(capture.exitValue()).as("stderr: %s", Files.readString(err)).isZero();
            assertThat(Files.readString(err)).contains("FALLING BACK to AF_PACKET").contains("100 packets captured");
            Process tshark = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-T", "fields", "-e", "udp.dstport", "-e", "frame.len")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            List<String> rows = new String(tshark.getInputStream().readAllBytes()).lines().toList();
            assertThat(tshark.waitFor()).isZero();
            assertThat(rows).hasSize(100).allMatch(r -> r.equals("9000\t" + (14 + 20 + 8 + 64)));
        }
    }
}
