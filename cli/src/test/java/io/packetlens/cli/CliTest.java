package io.packetlens.cli;

import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.OpenFds;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;


import static org.assertj.core.api.Assertions.assertThat;

/** The command line end to end: the demo's own check, count on a lab interface, and clear errors for bad input. */
@KernelTest
class CliTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();





    @Test
    void demoCountsMatchTheTrafficItSentAndCleansUp() throws Exception {
        int code = Main.run("demo", "--duration", "6", "--metrics", "127.0.0.1:0");
        assertThat(console.stdout()).contains("flow program attached at XDP on veth0").contains("udp/100").contains("icmpv6")
                .contains("ALERT port-scan 10.199.0.1");
        assertThat(console.stdout()).contains("demo: counts match the traffic sent").doesNotContain("MISMATCH");
        assertThat(code).isZero();
        Process p = new ProcessBuilder("ip", "netns", "list").start();
        assertThat(new String(p.getInputStream().readAllBytes())).doesNotContain(DemoCommand.LAB_PREFIX);
    }

    @Test
    void countOnAnInterfaceInsideTheLab() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    awaitXdp(b);
                    Traffic.udp(a, b, false, 50, 200);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // long enough for a loaded machine's attach and send; the counts are what is checked
            int code = b.call(() -> Main.run("count", "-i", b.ifname(), "--duration", "6"));
            sender.join();
            assertThat(code).isZero();
            assertThat(console.stdout()).contains("attached to veth0").contains("final totals on veth0").contains("detached from veth0");
            assertThat(console.stdout()).containsPattern("IPv4 UDP\\s+50\\s+" + 50 * (14 + 20 + 8 + 200));
            assertThat(b.exec("bpftool", "-j", "net", "show")).contains("\"xdp\":[]");
        }
    }

    @Test
    void unknownInterfaceIsAClearErrorAndLeaksNothing() {
        int fds = OpenFds.count();
        int code = Main.run("count", "-i", "nosuch0");
        assertThat(code).isEqualTo(2);
        assertThat(console.stderr()).contains("no network interface named 'nosuch0'");
        assertThat(OpenFds.count()).isEqualTo(fds);
    }

    @Test
    void badOptionsAreRejectedBeforeTouchingTheKernel() {
        assertThat(Main.run("count", "-i", "lo", "--mode", "sideways")).isEqualTo(2);
        assertThat(console.stderr()).contains("Invalid value for option '--mode': expected an XDP mode (auto, driver (native), generic (skb)), got 'sideways'");
        assertThat(Main.run("count")).isEqualTo(2);
        assertThat(console.stderr()).contains("Missing required option");
        assertThat(Main.run("demo", "--duration", "-1")).isEqualTo(2);
        assertThat(console.stderr()).contains("--duration must be >= 0");
    }

    /**
     * Waits until a program is attached at XDP on {@code h}'s interface: loading the flow program takes one to two
     * seconds, longer on a busy machine, so a fixed head start for the sender can miss it.
     */
    private static void awaitXdp(Host h) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!h.exec("ip", "-d", "link", "show", h.ifname()).contains("prog/xdp")) {
            if (System.nanoTime() > deadline) throw new AssertionError("no XDP program attached on " + h.ifname() + " within 20 s");
            Thread.sleep(50);
        }
        Thread.sleep(200); // the monitor's first poll interval has begun
    }

    @Test
    void flowsJsonWritesRecordsAndAFinalSummaryLine() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    awaitXdp(b);
                    Traffic.udp(a, b, false, 40, 100);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            int code = b.call(() -> Main.run("flows", "-i", b.ifname(), "--json", "--duration", "3", "--no-metrics"));
            sender.join();
            assertThat(code).isZero();
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            java.util.List<String> lines = console.stdout().lines().filter(l -> l.startsWith("{")).toList();
            assertThat(lines).isNotEmpty();
            var last = json.readTree(lines.getLast());
            assertThat(last.get("summary").get("flowPackets").asLong()).isEqualTo(40);
            assertThat(last.get("summary").get("losses").get("tableFullPackets").asLong()).isZero();
            long udp = lines.stream().map(l -> { try { return json.readTree(l); } catch (Exception e) { throw new RuntimeException(e); } })
                    .filter(n -> n.has("packetDeltaCount") && n.get("protocolIdentifier").asInt() == 17)
                    .mapToLong(n -> n.get("packetDeltaCount").asLong()).sum();
            assertThat(udp).isEqualTo(40);
            assertThat(b.exec("bpftool", "-j", "net", "show")).contains("\"xdp\":[]");
        }
    }

    /**
     * {@code flows} on traffic through a real vxlan device (VNI 42 on UDP 4789): by default the inner flow with its
     * tunnel; with {@code --outer-only}, and with {@code --vxlan-port 8472} (4789 is then not VXLAN), the outer UDP/4789
     * flow without one. So the flags reach the kernel program, not only the configuration.
     */
    @Test
    void flowsLooksIntoVxlanUnlessToldOuterOnlyOrOtherPorts() throws Exception {
        assertThat(udpFlowsThroughVxlan()).containsExactly("10.242.0.2:" + Traffic.UDP_PORT + " vxlan 42 x10");
        assertThat(udpFlowsThroughVxlan("--outer-only")).containsExactly(b4789());
        assertThat(udpFlowsThroughVxlan("--vxlan-port", "8472")).containsExactly(b4789());
        assertThat(Main.run("flows", "-i", "lo", "--vxlan-port", "1", "--vxlan-port", "2", "--vxlan-port", "3", "--vxlan-port", "4",
                "--vxlan-port", "5")).isEqualTo(2);
        assertThat(console.stderr()).contains("--vxlan-port: 5 VXLAN ports given; the kernel program takes at most 4");
    }

    private static String b4789() {
        return "10.199.0.2:" + io.packetlens.lab.Vxlan.PORT + " none x10";
    }

    /** The UDP flows {@code flows --json} reports for 10 datagrams sent through a vxlan tunnel: "dst:port tunnel xN". */
    private java.util.List<String> udpFlowsThroughVxlan(String... flags) throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            io.packetlens.lab.Vxlan v = io.packetlens.lab.Vxlan.create(lab, 42);
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    awaitXdp(b);
                    Traffic.udp(a, b, java.net.InetAddress.ofLiteral(v.innerB()), 10, 100, Traffic.UDP_PORT);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("flows", "-i", b.ifname(), "--json", "--duration", "3", "--no-metrics"));
            args.addAll(java.util.List.of(flags));
            console.resetOut();
            int code = b.call(() -> Main.run(args.toArray(String[]::new)));
            sender.join();
            assertThat(code).as(console.stderr()).isZero();
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            java.util.List<String> out = new java.util.ArrayList<>();
            for (String l : console.stdout().lines().filter(l -> l.startsWith("{")).toList()) {
                var n = json.readTree(l);
                if (!n.has("packetDeltaCount") || n.get("protocolIdentifier").asInt() != 17) continue;
                out.add(n.get("destinationIPv4Address").asText() + ":" + n.get("destinationTransportPort").asInt() + " "
                        + (n.has("tunnelType") ? n.get("tunnelType").asText() + " " + n.get("tunnelId").asLong() : "none")
                        + " x" + n.get("packetDeltaCount").asLong());
            }
            return out;
        }
    }

    @Test
    void flowsEventsPrintsKernelEventsAsJsonLinesAndAsText() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    awaitXdp(b);
                    Traffic.tcp(a, b, false, 10_000);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            int code = b.call(() -> Main.run("flows", "-i", b.ifname(), "--json", "--events", "--duration", "3", "--no-metrics"));
            sender.join();
            assertThat(code).isZero();
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            java.util.List<com.fasterxml.jackson.databind.JsonNode> events = console.stdout().lines().filter(l -> l.startsWith("{\"event\""))
                    .map(l -> { try { return json.readTree(l).get("event"); } catch (Exception e) { throw new RuntimeException(e); } })
                    .toList();
            assertThat(events).anyMatch(e -> e.get("type").asText().equals("new-flow") && e.get("protocolIdentifier").asInt() == 6
                    && e.get("sourceIPv4Address").asText().equals(a.ipv4()) && e.get("destinationTransportPort").asInt() == Traffic.TCP_PORT);
            assertThat(events).anyMatch(e -> e.get("type").asText().equals("tcp") && e.get("tcpFlags").asText().equals("SYN"));
            assertThat(events).anyMatch(e -> e.get("type").asText().equals("tcp") && e.get("tcpFlags").asText().contains("FIN"));
            assertThat(events).allMatch(e -> e.get("interfaceName").asText().equals(b.ifname()));

            console.resetOut();
            Thread udp = Thread.ofPlatform().start(() -> {
                try {
                    awaitXdp(b);
                    Traffic.udp(a, b, false, 3, 20);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            code = b.call(() -> Main.run("flows", "-i", b.ifname(), "--events=new-flow,sample", "--sample-every", "1",
                    "--duration", "3", "--no-metrics"));
            udp.join();
            assertThat(code).isZero();
            assertThat(console.stdout().lines().filter(l -> l.startsWith("EVENT ") && l.contains(" new-flow udp " + a.ipv4()))).hasSize(1);
            assertThat(console.stdout().lines().filter(l -> l.startsWith("EVENT ") && l.contains(" sample udp " + a.ipv4()))).hasSize(3)
                    .allMatch(l -> l.contains(" data "));
        }
        assertThat(Main.run("flows", "-i", "lo", "--events=syn", "--no-metrics")).isEqualTo(2);
        assertThat(console.stderr()).contains("configuration error: --events: expected new-flow, tcp, sample, overflow, got 'syn'");
        assertThat(Main.run("flows", "-i", "lo", "--events=sample", "--no-metrics")).isEqualTo(2);
        assertThat(console.stderr()).contains("--sample-every: required with the sample event");
    }

    @Test
    void badConfigurationIsRejectedWithItsKeyAndNothingIsAttached(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path cfg = dir.resolve("bad.yaml");
        java.nio.file.Files.writeString(cfg, "interfaces: [lo]\nflows:\n  timeouts:\n    idle: fifteen\n");
        int fds = OpenFds.count();
        assertThat(Main.run("flows", "--config", cfg.toString())).isEqualTo(2);
        assertThat(console.stderr()).contains("configuration error: flows.timeouts.idle: expected a duration").contains("(line 4)");
        java.nio.file.Files.writeString(cfg, "interfaces: [lo]\ntimeouts:\n  idle: 15s\n");
        assertThat(Main.run("flows", "--config", cfg.toString())).isEqualTo(2);
        assertThat(console.stderr()).as("the flat layout of earlier versions is pointed to its new place")
                .contains("configuration error: timeouts: moved: write it as flows.timeouts (line 2)");
        assertThat(OpenFds.count()).isEqualTo(fds);
        assertThat(Main.run("flows", "-i", "nosuch0", "--no-metrics", "--duration", "1")).isEqualTo(2);
        assertThat(console.stderr()).contains("no network interface named 'nosuch0'");
        assertThat(new String(new ProcessBuilder("bpftool", "-j", "net", "show").start().getInputStream().readAllBytes()))
                .doesNotContain("flow_xdp");
    }

    @Test
    void badExporterConfigurationIsAnErrorNamingTheKeyAndNothingIsAttached(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (Lab lab = Lab.create()) {
            Host b = lab.b();
            java.nio.file.Path cfg = dir.resolve("agent.yaml");
            String head = "interfaces: [{name: " + b.ifname() + ", netns: " + b.namespace() + "}]\nmetrics: {enabled: false}\nexporters:\n";
            String[][] cases = {
                    {"  - {type: ipfix, collectors: [udp://no-such-collector.invalid:4739]}\n",
                            "exporters[0].collectors[0]: unknown host 'no-such-collector.invalid'"},
                    {"  - {type: ipfix, collectors: [udp://127.0.0.1:70000]}\n", "exporters[0].collectors[0]"},
                    {"  - {type: file, path: /tmp/pl-cli-flows.json}\n  - {type: kafka, bootstrap-servers: 127.0.0.1:9092}\n",
                            "exporters[1].topic: required"},
                    {"  - {type: kafka, bootstrap-servers: '127.0.0.1:99999', topic: flows}\n", "exporters[0].bootstrap-servers"},
            };
            for (String[] c : cases) {
                java.nio.file.Files.writeString(cfg, head + c[0]);
                console.resetErr();
                assertThat(Main.run("agent", "--config", cfg.toString())).isEqualTo(2);
                assertThat(console.stderr()).contains("configuration error in " + cfg + ": " + c[1]).contains("(line ");
                assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("nothing attached for " + c[0]).doesNotContain("prog/xdp");
            }
            assertThat(java.nio.file.Path.of("/tmp/pl-cli-flows.json")).as("no exporter was opened").doesNotExist();
        }
    }

    @Test
    void helpListsTheCommands() {
        assertThat(Main.run("--help")).isZero();
        assertThat(console.stdout()).contains("demo").contains("agent").contains("flows").contains("count");
    }
}
