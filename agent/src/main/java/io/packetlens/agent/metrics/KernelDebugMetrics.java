package io.packetlens.agent.metrics;

import io.packetlens.ebpf.tracing.KernelDebugLog;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The {@code --debug-kernel} log's counts as one Prometheus counter, {@code packetlens_kernel_debug_lines_total}, read
 * from the {@link KernelDebugLog} at scrape time: {@code outcome="logged"} (packetlens's debug lines put in the Java
 * log), {@code "foreign"} (bpf_printk lines of other programs or other packetlens processes, left out) and
 * {@code "lost"} (lines the kernel's trace buffer overwrote before they were read).
 */
final class KernelDebugMetrics {
    private KernelDebugMetrics() {}

    static void register(PrometheusRegistry registry, KernelDebugLog log) {
        CounterWithCallback.builder().name("packetlens_kernel_debug_lines")
                .help("bpf_printk lines read for --debug-kernel, by outcome: logged, foreign (not packetlens's, left out), lost (trace buffer overran)")
                .labelNames("outcome")
                .callback(cb -> {
                    cb.call(log.logged(), "logged");
                    cb.call(log.foreign(), "foreign");
                    cb.call(log.lost(), "lost");
                })
                .register(registry);
    }
}
