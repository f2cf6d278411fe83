package io.packetlens.agent.metrics;

import io.packetlens.ebpf.info.BpfStats;
import io.packetlens.ebpf.info.ProgramStatsReader;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * The kernel's run-time statistics of packetlens's own programs as Prometheus metrics, read at scrape time with
 * {@link ProgramStatsReader} (bpf_prog_info's {@code run_cnt}, {@code run_time_ns}, {@code recursion_misses}, per
 * program id): {@code packetlens_bpf_program_runs_total}, {@code packetlens_bpf_program_run_seconds_total},
 * {@code packetlens_bpf_program_recursion_misses_total} labelled by program name, id and type, and
 * {@code packetlens_bpf_stats_enabled}. The counters only move while statistics are on: with {@code enableStats} this
 * holds a BPF_ENABLE_STATS handle for as long as it is open (a few ns per program run); otherwise they count only
 * while someone else turns them on ({@code packetlens top}, the sysctl).
 */
public final class ProgramMetrics implements AutoCloseable {
    private final ProgramStatsReader reader = new ProgramStatsReader(List.of());
    private final Supplier<? extends Collection<Integer>> ids;
    private final BpfStats stats;

    private ProgramMetrics(Supplier<? extends Collection<Integer>> ids, BpfStats stats) {
        this.ids = ids;
        this.stats = stats;
    }

    /** Registers the metrics of the programs {@code ids} names at each scrape (it may change, e.g. after a reload). */
    public static ProgramMetrics register(PrometheusRegistry registry, Supplier<? extends Collection<Integer>> ids, boolean enableStats) {
        ProgramMetrics m = new ProgramMetrics(ids, enableStats ? BpfStats.enable() : null);
        String[] labels = {"program", "id", "type"};
        CounterWithCallback.builder().name("packetlens_bpf_program_runs").help("Runs of packetlens's BPF programs (while statistics are on)")
                .labelNames(labels)
                .callback(cb -> m.read().forEach(s -> cb.call(s.runCount(), s.name(), Integer.toString(s.id()), s.type())))
                .register(registry);
        CounterWithCallback.builder().name("packetlens_bpf_program_run_seconds")
                .help("Kernel CPU time spent in packetlens's BPF programs, as the kernel measures it (while statistics are on)")
                .labelNames(labels)
                .callback(cb -> m.read().forEach(s -> cb.call(s.runTimeNs() / 1e9, s.name(), Integer.toString(s.id()), s.type())))
                .register(registry);
        CounterWithCallback.builder().name("packetlens_bpf_program_recursion_misses")
                .help("Runs of packetlens's BPF programs the kernel skipped because the program was already running on that CPU")
                .labelNames(labels)
                .callback(cb -> m.read().forEach(s -> cb.call(s.recursionMisses(), s.name(), Integer.toString(s.id()), s.type())))
                .register(registry);
        GaugeWithCallback.builder().name("packetlens_bpf_stats_enabled")
                .help("1 if run-time statistics are on (this agent's BPF_ENABLE_STATS handle or the kernel.bpf_stats_enabled sysctl)")
                .callback(cb -> cb.call(m.stats != null && m.stats.isOpen() || BpfStats.sysctlEnabled() ? 1 : 0))
                .register(registry);
        return m;
    }

    private List<ProgramStatsReader.Sample> read() {
        reader.programs(ids.get());
        return reader.read();
    }

    /** Releases the statistics handle, if this holds one. */
    @Override
    public void close() {
        if (stats != null) stats.close();
    }
}
