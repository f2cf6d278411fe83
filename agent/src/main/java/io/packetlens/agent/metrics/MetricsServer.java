package io.packetlens.agent.metrics;

import io.packetlens.agent.AgentSnapshot;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * The Prometheus endpoint ({@code /metrics}), built with the Prometheus Java client. Each part registers its own
 * collectors, which read the agent's latest {@link AgentSnapshot} at scrape time: {@link FlowMetrics} (traffic, flows,
 * table fill, losses, alerts) and {@link ExporterMetrics} (records sent, dropped and failed per exporter, queues,
 * errors); plus the agent's own CPU and memory (process and JVM metrics).
 */
public final class MetricsServer implements AutoCloseable {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final FlowMetrics flows;
    private final HTTPServer server;
    private volatile ProgramMetrics programs;

    public MetricsServer(InetSocketAddress address, Supplier<AgentSnapshot> snapshots) {
        this.flows = FlowMetrics.register(registry, snapshots);
        ExporterMetrics.register(registry, snapshots);
        GuardMetrics.register(registry, snapshots);
        ConntrackMetrics.register(registry, snapshots, io.packetlens.agent.ConntrackSnapshot.RTT_BOUNDS);
        JvmMetrics.builder().register(registry); // process_cpu_seconds_total, process_resident_memory_bytes, jvm_*
        try {
            server = HTTPServer.builder().hostname(address.getHostString()).port(address.getPort()).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve /metrics on " + address.getHostString() + ":" + address.getPort() + ": "
                    + e.getMessage() + (e instanceof java.net.BindException ? " (is another agent running? choose another port with metrics.address)" : ""), e);
        }
    }

    /**
     * Adds the run-time statistics of the programs {@code programIds} names ({@link ProgramMetrics}); with
     * {@code enableStats} the kernel counts them while this server is open.
     */
    public void programStats(Supplier<? extends java.util.Collection<Integer>> programIds, boolean enableStats) {
        if (programs != null) throw new IllegalStateException("program statistics already registered");
        programs = ProgramMetrics.register(registry, programIds, enableStats);
    }

    /** Adds the {@code --debug-kernel} log's line counts ({@link KernelDebugMetrics}). */
    public void kernelDebug(io.packetlens.ebpf.tracing.KernelDebugLog log) {
        KernelDebugMetrics.register(registry, log);
    }

    /** Counts a fired alert under its rule's label. */
    public void countAlert(String rule) {
        flows.countAlert(rule);
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
        if (programs != null) programs.close();
    }
}
