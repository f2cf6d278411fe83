package io.packetlens.agent;

import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.guard.GuardProgram;
import io.packetlens.guard.GuardView;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.TrafficLabels;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

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

/**
 * The guard and the flow monitor in one agent on one interface: the guard at XDP, the monitor at TC behind it, so the
 * monitor counts exactly what the guard passes and the guard counts what it drops; both in /metrics.
 */
@KernelTest
class AgentGuardLabTest {
    private static final String RULES = "rules:\n  - {name: no-udp-9000, action: deny, protocol: udp, destination-port: 9000}\n";

    @Test
    void theMonitorSeesWhatTheGuardPassesAndTheGuardCountsWhatItDrops() throws Exception {
        Path mount = Path.of("/tmp/pl-agentguard-" + ProcessHandle.current().pid());
        Bpffs.mountPrivate(mount);
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            InterfaceSpec veth = new InterfaceSpec(b.ifname(), b.namespace());
            GuardConfig guard = new GuardConfig(List.of(), GuardProgram.Hook.XDP, XdpMode.AUTO, null, RulesReader.parse(RULES), false, false, 0);
            AgentConfig c = AgentConfig.defaults().withInterfaces(List.of(veth))
                    .withFlows(MonitorConfig.defaults().withHook(MonitorConfig.Hook.TC).withPollInterval(Duration.ofSeconds(1)))
                    .withMetrics(new InetSocketAddress("127.0.0.1", 0)).withGuard(guard).withPin(mount);
            try (Agent agent = Agent.start(c, new Agent.Listener() {})) {
                Traffic.udp(a, b, false, 40, 30);          // dropped by the guard
                Traffic.udp(a, b, false, 25, 30, 9100);    // passed
                agent.runUntil(System.nanoTime() + Duration.ofMillis(1200).toNanos());
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + agent.metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("packetlens_guard_rule_packets_total{rule=\"no-udp-9000\"} 40.0")
                        .contains("packetlens_guard_packets_total{drop=\"true\",reason=\"rule\"} 40.0")
                        .contains("packetlens_guard_generation 1.0");
                AgentSnapshot fin = agent.stop();
                var udpIn = fin.flows().traffic().get(new TrafficLabels(b.ifname(), "ingress", "udp"));
                assertThat(udpIn.packets()).as("the monitor behind the guard saw the passed datagrams only").isEqualTo(25);
                assertThat(fin.guard().rules().of("no-udp-9000").packets()).isEqualTo(40);
                assertThat(fin.guard().dropped()).isEqualTo(40);
            }
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("the pinned guard stays in force").contains("prog/xdp");
            assertThat(GuardProgram.removePinned(mount.resolve("guard"), mount.resolve("xdp"))).isPositive();
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).doesNotContain("prog/xdp");
        } finally {
            Bpffs.unmount(mount);
            Files.deleteIfExists(mount);
        }
    }

    @Test
    void bothAtXdpShareTheHookThroughTheChainTheGuardFirst() throws Exception {
        Path mount = Path.of("/tmp/pl-agentguard2-" + ProcessHandle.current().pid());
        Bpffs.mountPrivate(mount);
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            InterfaceSpec veth = new InterfaceSpec(b.ifname(), b.namespace());
            GuardConfig guard = new GuardConfig(List.of(), GuardProgram.Hook.XDP, XdpMode.AUTO, null, RulesReader.parse(RULES), false, false, 0);
            AgentConfig c = AgentConfig.defaults().withInterfaces(List.of(veth))
                    .withFlows(MonitorConfig.defaults().withPollInterval(Duration.ofSeconds(1)))
                    .withMetrics(null).withGuard(guard).withPin(mount);
            try (Agent agent = Agent.start(c, new Agent.Listener() {})) {
                Traffic.udp(a, b, false, 40, 30);          // dropped by the guard
                Traffic.udp(a, b, false, 25, 30, 9100);    // passed, then counted by the monitor behind it
                AgentSnapshot fin = agent.stop();
                var udpIn = fin.flows().traffic().get(new TrafficLabels(b.ifname(), "ingress", "udp"));
                assertThat(udpIn.packets()).as("the monitor in the chain after the guard saw the passed datagrams only").isEqualTo(25);
                assertThat(fin.guard().rules().of("no-udp-9000").packets()).isEqualTo(40);
            }
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("pinned, both stay in force").contains("prog/xdp");
            Traffic.udp(a, b, false, 10, 30); // no agent: the pinned guard drops them
            Traffic.udp(a, b, false, 5, 30, 9100); // and the pinned monitor counts these
            try (Agent next = Agent.start(c, new Agent.Listener() {})) {
                AgentSnapshot fin = next.stopAndUnpin();
                assertThat(fin.guard().reasons().get(io.packetlens.guard.DropReason.RULE).packets()).as("drops across both agents").isEqualTo(50);
                long udp = fin.flows().traffic().get(new TrafficLabels(b.ifname(), "ingress", "udp")).packets();
                // the first agent reported none of the port-9100 flow (not due yet); the second drains all of it
                assertThat(udp).as("the 25 passed under the first agent and the 5 while none ran").isEqualTo(30);
                assertThat(fin.flows().totals().records()).isPositive();
            }
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).as("unpinned: the chain is gone with its members").doesNotContain("prog/xdp");
            assertThat(mount.resolve("guard")).doesNotExist();
        } finally {
            Bpffs.unmount(mount);
            Files.deleteIfExists(mount);
        }
    }

    @Test
    void aFlowMonitorStartedLaterJoinsTheChainBehindAGuardLeftByAnotherProcess() throws Exception {
        Path mount = Path.of("/tmp/pl-agentguard3-" + ProcessHandle.current().pid());
        Bpffs.mountPrivate(mount);
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            // the guard of an earlier process (a `packetlens guard` that ended): pinned, in the chain, no process holds it
            try (GuardProgram g = GuardProgram.load(RulesReader.parse(RULES), io.packetlens.guard.GuardOptions.pinned(mount.resolve("guard")))) {
                b.call(() -> g.attachXdp(b.namespace(), b.ifname(), XdpMode.AUTO));
            }
            AgentConfig c = AgentConfig.defaults().withInterfaces(List.of(new InterfaceSpec(b.ifname(), b.namespace())))
                    .withFlows(MonitorConfig.defaults().withPollInterval(Duration.ofSeconds(1))).withMetrics(null);
            // not pinned itself: the monitor joins the chain found under the default root only if told where it is
            c = c.withFlows(c.flows().withXdpSharing(io.packetlens.flow.XdpSharing.AUTO.root(mount.resolve("xdp"))));
            try (Agent agent = Agent.start(c, new Agent.Listener() {})) {
                Traffic.udp(a, b, false, 30, 30);
                Traffic.udp(a, b, false, 20, 30, 9100);
                AgentSnapshot fin = agent.stop();
                assertThat(fin.flows().traffic().get(new TrafficLabels(b.ifname(), "ingress", "udp")).packets())
                        .as("behind the other process's guard: what it passed").isEqualTo(20);
            }
            try (GuardView v = GuardView.openPinned(mount.resolve("guard"))) {
                assertThat(v.ruleCounters().of("no-udp-9000").packets()).isEqualTo(30);
            }
            assertThat(GuardProgram.removePinned(mount.resolve("guard"), mount.resolve("xdp"))).isPositive();
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).doesNotContain("prog/xdp");
        } finally {
            Bpffs.unmount(mount);
            Files.deleteIfExists(mount);
        }
    }
}
