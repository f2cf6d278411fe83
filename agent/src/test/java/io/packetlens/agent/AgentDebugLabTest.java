package io.packetlens.agent;

import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.tracing.KernelDebugLog;
import io.packetlens.guard.GuardProgram;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.config.MonitorConfig;
import io.packetlens.testkit.KernelTest;
import io.packetlens.testkit.LogCapture;
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
import java.util.logging.LogRecord;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code debug-kernel: true} in the agent: the guard and the flow monitor sharing one interface's XDP chain (the flow
 * monitor's member is a copy of its entry point, loaded for the chain) both print into the Java log under their own
 * names, on lab traffic; the log's counts are metrics; and the log goes with the agent.
 */
@KernelTest
class AgentDebugLabTest {
    private static final String RULES = "rules:\n  - {name: no-udp-9000, action: deny, protocol: udp, destination-port: 9000}\n";

    @Test
    void theGuardAndTheFlowMonitorLogTheirDebugLinesUnderTheirNames() throws Exception {
        Path mount = Path.of("/tmp/pl-agentdebug-" + ProcessHandle.current().pid());
        Bpffs.mountPrivate(mount);
        try (Lab lab = Lab.create(); LogCapture logs = LogCapture.open(KernelDebugLog.LOGGER); LogCapture agentLogs = LogCapture.open("packetlens.agent")) {
            Host a = lab.a(), b = lab.b();
            GuardConfig guard = new GuardConfig(List.of(), GuardProgram.Hook.XDP, XdpMode.AUTO, null, RulesReader.parse(RULES), false, false, 0);
            AgentConfig c = AgentConfig.defaults().withInterfaces(List.of(new InterfaceSpec(b.ifname(), b.namespace())))
                    .withFlows(MonitorConfig.defaults().withPollInterval(Duration.ofSeconds(1)))
                    .withMetrics(new InetSocketAddress("127.0.0.1", 0)).withGuard(guard).withPin(mount).withDebugKernel(true);
            Path instance;
            try (Agent agent = Agent.start(c, new Agent.Listener() {})) {
                KernelDebugLog log = agent.kernelDebugLog();
                instance = log.pipe().getParent();
                Traffic.udp(a, b, false, 5, 30);        // dropped by the guard
                Traffic.udp(a, b, false, 3, 30, 9100);  // passed: one new flow for the monitor behind it
                String to9000 = " -> " + b.ipv4() + ":9000 proto 17", to9100 = " -> " + b.ipv4() + ":9100 proto 17";
                List<LogRecord> drops = logs.await(r -> r.getMessage().startsWith("[guard] drop reason 4 ") && r.getMessage().contains(to9000),
                        5, Duration.ofSeconds(5));
                List<LogRecord> flows = logs.await(r -> r.getMessage().startsWith("[flow] new flow " + a.ipv4() + ":")
                        && r.getMessage().contains(to9100), 1, Duration.ofSeconds(5));
                assertThat(drops).hasSize(5).allSatisfy(r -> assertThat(r.getLoggerName()).isEqualTo("packetlens.kernel.guard"));
                assertThat(flows).hasSize(1).allSatisfy(r -> assertThat(r.getLoggerName()).isEqualTo("packetlens.kernel.flow"));
                assertThat(logs.messages()).as("the guard dropped what went to 9000: the monitor never saw it")
                        .noneMatch(m -> m.startsWith("[flow]") && m.contains(to9000));
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + agent.metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).containsPattern("packetlens_kernel_debug_lines_total\\{outcome=\"logged\"} [1-9]")
                        .contains("packetlens_kernel_debug_lines_total{outcome=\"lost\"} 0.0");
                assertThat(agentLogs.messages()).anySatisfy(m -> assertThat(m).startsWith("--debug-kernel with pinned programs"));
                agent.stopAndUnpin();
            }
            assertThat(instance).as("the log's tracefs instance goes with the agent").doesNotExist();
            assertThat(b.exec("ip", "-d", "link", "show", b.ifname())).doesNotContain("prog/xdp");
        } finally {
            GuardProgram.removePinned(mount.resolve("guard"), mount.resolve("xdp"));
            Bpffs.unmount(mount);
            Files.deleteIfExists(mount);
        }
    }
}
