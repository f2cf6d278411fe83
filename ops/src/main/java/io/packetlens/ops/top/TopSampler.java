package io.packetlens.ops.top;

import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.ebpf.info.KernelObjects;
import io.packetlens.ebpf.info.ProgramInfo;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The numbers of {@code packetlens top}: every program's run count and run time (bpf_prog_info's {@code run_cnt} and
 * {@code run_time_ns}) read each interval, turned into rates over the interval the way bpftop does: runs per second,
 * nanoseconds per run (run-time delta / run-count delta, the kernel's own measurement) and CPU share (run-time delta /
 * wall-clock interval; {@code cpuPercent} is of one CPU, as top(1) shows it, {@code cpuPercentTotal} of all online
 * CPUs). The counters only move while statistics are on (BpfStats, which the command holds open).
 */
public final class TopSampler {
    /** One program over one interval. {@code runs} and {@code runTimeNs} are the deltas; the totals are since load. */
    public record Row(int id, String type, String name, long runs, long runTimeNs, double runsPerSecond, double nsPerRun,
                      double cpuPercent, double cpuPercentTotal, long totalRuns, long totalRunTimeNs) {}

    /** One interval: when it ended, how long it was, and every program that existed at both ends. */
    public record Sample(Instant at, long intervalNs, List<Row> rows) {}

    private record Prev(long runs, long runTimeNs) {}

    private final Predicate<ProgramInfo> filter;
    private final int cpus = Math.max(1, Cpus.online().length);
    private Map<Integer, Prev> prev = new HashMap<>();
    private long prevAt;

    /** Samples the programs {@code filter} accepts (all: {@code p -> true}). */
    public TopSampler(Predicate<ProgramInfo> filter) {
        this.filter = filter;
    }

    /**
     * Reads every program now. The first call only sets the baseline (its rows carry zero deltas); each later call
     * answers the interval since the previous one. A program loaded during the interval starts with its counters at
     * zero, so its whole count counts; one unloaded during the interval is dropped.
     */
    public Sample sample() {
        List<ProgramInfo> programs = KernelObjects.programs();
        long now = System.nanoTime();
        boolean first = prevAt == 0;
        long interval = first ? 0 : now - prevAt;
        Map<Integer, Prev> next = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        for (ProgramInfo p : programs) {
            if (!filter.test(p)) continue;
            next.put(p.id(), new Prev(p.runCount(), p.runTimeNs()));
            Prev before = first ? new Prev(p.runCount(), p.runTimeNs()) : prev.getOrDefault(p.id(), new Prev(0, 0));
            long runs = p.runCount() - before.runs(), time = p.runTimeNs() - before.runTimeNs();
            double seconds = interval / 1e9;
            double cpu = interval == 0 ? 0 : 100.0 * time / interval;
            rows.add(new Row(p.id(), p.typeName(), p.name(), runs, time, seconds == 0 ? 0 : runs / seconds, runs == 0 ? 0 : (double) time / runs,
                    cpu, cpu / cpus, p.runCount(), p.runTimeNs()));
        }
        rows.sort(Comparator.comparingDouble(Row::cpuPercent).reversed().thenComparing(Comparator.comparingDouble(Row::runsPerSecond).reversed())
                .thenComparingInt(Row::id));
        prev = next;
        prevAt = now;
        return new Sample(Instant.now(), interval, rows);
    }
}
