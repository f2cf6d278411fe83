package io.packetlens.agent;

import io.packetlens.export.ExporterSpec;
import io.packetlens.monitor.config.MonitorConfig;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the agent runs, as read from one YAML configuration ({@link AgentConfigReader}) and command-line flags:
 * a plain description, checked but not started. See docs/packetlens.example.yaml.
 *
 * @param interfaces        where the flow program attaches
 * @param flows             the flow monitor's settings ({@code flows:}, {@code view:}, {@code alerts:} sections)
 * @param exporters         where finished flows go ({@code exporters:}), each on its own thread
 * @param metrics           the Prometheus endpoint, or null when disabled
 * @param pin               bpffs directory under which the parts pin their kernel objects to survive restarts, or null
 * @param observationDomain the IPFIX observation domain id of this agent
 * @param flowsEnabled      whether the flow monitor runs ({@code flows: {enabled: false}} turns it off: a guard alone)
 * @param guard             the firewall ({@code guard:}), or null
 * @param programStats      turn the kernel's BPF statistics on while the agent runs ({@code metrics.program-stats}), so
 *                          that packetlens's own programs' run counts and times are metrics (a few ns per program run)
 * @param debugKernel       load packetlens's programs with their debug prints on and log them ({@code debug-kernel: true},
 *                          {@code --debug-kernel}; see {@link io.packetlens.ebpf.tracing.KernelDebugLog})
 * @param conntrack         the connection tracker ({@code conntrack:}), or null
 */
public record AgentConfig(List<InterfaceSpec> interfaces, MonitorConfig flows, List<ExporterSpec> exporters,
                          InetSocketAddress metrics, Path pin, long observationDomain, boolean flowsEnabled, GuardConfig guard,
                          boolean programStats, boolean debugKernel, ConntrackSection conntrack) {
    /** Prometheus's default for packetlens: loopback only. */
    public static final InetSocketAddress DEFAULT_METRICS = new InetSocketAddress("127.0.0.1", 9464);
    /** The flow tables' place under {@link #pin}. */
    public static final String FLOWS_PIN = "flows";
    /** The guard's place under {@link #pin}. */
    public static final String GUARD_PIN = "guard";

    public AgentConfig {
        interfaces = List.copyOf(interfaces);
        exporters = List.copyOf(exporters);
    }

    public static AgentConfig defaults() {
        return new AgentConfig(List.of(), MonitorConfig.defaults(), List.of(), DEFAULT_METRICS, null, 0, true, null, false, false, null);
    }

    /** The flow monitor's configuration with the agent's pin directory applied. */
    public MonitorConfig monitorConfig() {
        return flows.withInterfaces(interfaces.stream().filter(i -> i.netns() == null).map(InterfaceSpec::name).toList())
                .withPinDirectory(pin == null ? null : pin.resolve(FLOWS_PIN));
    }

    public AgentConfig withInterfaces(List<InterfaceSpec> v) {
        return new AgentConfig(v, flows, exporters, metrics, pin, observationDomain, flowsEnabled, guard, programStats, debugKernel, conntrack);
    }

    public AgentConfig withFlows(MonitorConfig v) {
        return new AgentConfig(interfaces, v, exporters, metrics, pin, observationDomain, flowsEnabled, guard, programStats, debugKernel, conntrack);
    }

    public AgentConfig withExporters(List<ExporterSpec> v) {
        return new AgentConfig(interfaces, flows, v, metrics, pin, observationDomain, flowsEnabled, guard, programStats, debugKernel, conntrack);
    }

    /** This configuration with one more exporter (for example standard output for {@code --json}). */
    public AgentConfig plusExporter(ExporterSpec e) {
        List<ExporterSpec> all = new ArrayList<>(exporters);
        all.add(e);
        return withExporters(all);
    }

    public AgentConfig withMetrics(InetSocketAddress v) {
        return new AgentConfig(interfaces, flows, exporters, v, pin, observationDomain, flowsEnabled, guard, programStats, debugKernel, conntrack);
    }

    /** Whether the flow monitor runs: it is enabled and there are interfaces for it. */
    public boolean runsFlows() {
        return flowsEnabled && !interfaces.isEmpty();
    }

    /** Where the guard pins: under the agent's pin directory, else {@link GuardConfig#DEFAULT_PIN}. */
    public Path guardPin() {
        return pin == null ? GuardConfig.DEFAULT_PIN : pin.resolve(GUARD_PIN);
    }

    /** Where interfaces' XDP chains (the guard and the flow monitor sharing a hook) are pinned. */
    public Path chainRoot() {
        return pin == null ? io.packetlens.ebpf.link.XdpChain.DEFAULT_ROOT : pin.resolve("xdp");
    }

    public AgentConfig withFlowsEnabled(boolean v) {
        return new AgentConfig(interfaces, flows, exporters, metrics, pin, observationDomain, v, guard, programStats, debugKernel, conntrack);
    }

    public AgentConfig withGuard(GuardConfig v) {
        return new AgentConfig(interfaces, flows, exporters, metrics, pin, observationDomain, flowsEnabled, v, programStats, debugKernel, conntrack);
    }

    public AgentConfig withProgramStats(boolean v) {
        return new AgentConfig(interfaces, flows, exporters, metrics, pin, observationDomain, flowsEnabled, guard, v, debugKernel, conntrack);
    }

    /** Loads packetlens's programs with their debug prints on, logged through {@link io.packetlens.ebpf.tracing.KernelDebugLog}. */
    public AgentConfig withDebugKernel(boolean v) {
        return new AgentConfig(interfaces, flows, exporters, metrics, pin, observationDomain, flowsEnabled, guard, programStats, v, conntrack);
    }

    public AgentConfig withConntrack(ConntrackSection v) {
        return new AgentConfig(interfaces, flows, exporters, metrics, pin, observationDomain, flowsEnabled, guard, programStats, debugKernel, v);
    }

    public AgentConfig withPin(Path v) {
        return new AgentConfig(interfaces, flows, exporters, metrics, v, observationDomain, flowsEnabled, guard, programStats, debugKernel, conntrack);
    }
}
