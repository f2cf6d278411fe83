package io.packetlens.bench;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.flow.FlowAggregator;
import io.packetlens.flow.FlowClock;
import io.packetlens.flow.FlowConfig;
import io.packetlens.flow.FlowConfig.TableKind;
import io.packetlens.flow.FlowProgram;
import io.packetlens.packet.Frame;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.FutureTask;

/**
 * Benchmark (a command, not a test) behind the choice of flow-table layout (docs/FLOWS.md): the flow program's TC
 * entry point run with BPF_PROG_TEST_RUN on a shared {@code BPF_MAP_TYPE_HASH} (atomic updates) and on a
 * {@code BPF_MAP_TYPE_PERCPU_HASH} (plain updates), from one CPU and from two pinned CPUs at once on one flow and on
 * two, plus the cost of inserting new flows, the kernel memory each table is charged, and the time the aggregator
 * needs to read a full table. Rounds alternate between the two layouts, so load from other processes hits both alike.
 */
@Command(name = "bench-flow-table", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Flow table layout: shared hash with atomics vs per-CPU hash. Needs root and 2 CPUs.")
public final class FlowTableBenchmark implements Callable<Integer> {
    @Option(names = "--repeat", defaultValue = "10000000", description = "Test-run repetitions per thread and round (default: ${DEFAULT-VALUE}).")
    int repeat;
    @Option(names = "--rounds", defaultValue = "7", description = "Timed rounds per case and layout (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--flows", defaultValue = "65536", description = "Flow table size, and flows inserted in the insert case (default: ${DEFAULT-VALUE}).")
    int flows;
    @Option(names = "--markdown", description = "Also write the Markdown table to this file.")
    Path markdownFile;

    /** Share of packets plain adds lost per round in the two-CPU one-flow case (see {@link #overlapWitness}). */
    private double[] witness;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new FlowTableBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-flow-table: " + e.getMessage());
            if (e instanceof BpfException.PermissionException) cmd.getErr().println("bench-flow-table: loading BPF programs needs root; run as root.");
            if (!(e instanceof BpfException || e instanceof IllegalStateException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    /** A UDP/IPv4 frame of flow {@code n}: source port and address vary with n. */
    static byte[] frame(int n) {
        byte[] src = ByteBuffer.allocate(4).putInt(0x0a000000 | (n >>> 16)).array();
        return Frame.ethernet().ipv4(src, new byte[]{10, 99, 0, 1}).udp(n & 0xffff, 9000).payload(18).build();
    }

    /** One timed case for one layout: kernel ns per packet, one value per round. */
    record Case(String name, double[] nsPerPacket) {
        Samples ns() {
            return Samples.of(nsPerPacket);
        }
    }

    @Override
    public Integer call() throws Exception {
        if (Runtime.getRuntime().availableProcessors() < 2) throw new IllegalStateException("needs 2 CPUs");
        PrintStream out = System.out, log = System.err;
        Machine machine = Machine.describe(new Bpftool("bpftool"));
        out.printf("Machine: %s, %s RAM; %s, kernel %s%n", machine.cpuDescription(), machine.memory(), machine.os(), machine.kernel());
        out.printf("Load average at start: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
        Map<TableKind, FlowProgram> programs = new EnumMap<>(TableKind.class);
        Map<TableKind, List<Case>> cases = new EnumMap<>(TableKind.class);
        Map<TableKind, Long> memory = new EnumMap<>(TableKind.class);
        Map<TableKind, double[]> reads = new EnumMap<>(TableKind.class);
        try {
            for (TableKind kind : TableKind.values()) {
                FlowProgram p = FlowProgram.load(FlowConfig.defaults().tableKind(kind).tableSize(flows));
                programs.put(kind, p);
                memory.put(kind, memlock(p.flowTable().fd()));
                cases.put(kind, new ArrayList<>());
            }
            String[] names = {"1 flow, 1 CPU", "1 flow, 2 CPUs at once", "2 flows, 2 CPUs at once"};
            byte[][][] frames = {{frame(1)}, {frame(1), frame(1)}, {frame(2), frame(3)}};
            for (int c = 0; c < names.length; c++) {
                Map<TableKind, double[]> ns = new EnumMap<>(TableKind.class);
                for (TableKind kind : TableKind.values()) {
                    ns.put(kind, new double[rounds]);
                    timed(programs.get(kind).program(FlowProgram.Hook.TC_INGRESS), frames[c]); // warm-up
                }
                for (int r = 0; r < rounds; r++) {
                    log.printf("%s: round %d/%d%n", names[c], r + 1, rounds);
                    for (TableKind kind : TableKind.values()) {
                        ns.get(kind)[r] = timed(programs.get(kind).program(FlowProgram.Hook.TC_INGRESS), frames[c]);
                        log.printf(Locale.ROOT, "  %s: %.1f ns/packet%n", kind, ns.get(kind)[r]);
                    }
                }
                for (TableKind kind : TableKind.values()) cases.get(kind).add(new Case(names[c], ns.get(kind)));
            }
            witness = overlapWitness(frames[1], log);
            Map<TableKind, double[]> inserts = new EnumMap<>(TableKind.class);
            for (TableKind kind : TableKind.values()) inserts.put(kind, new double[rounds]);
            for (int r = 0; r < rounds; r++) {
                log.printf("inserts: round %d/%d%n", r + 1, rounds);
                for (TableKind kind : TableKind.values()) inserts.get(kind)[r] = inserts(programs.get(kind));
            }
            String name = String.format(Locale.ROOT, "new flow (insert, %,d flows into an empty table, 1 CPU)", flows);
            for (TableKind kind : TableKind.values()) {
                cases.get(kind).add(new Case(name, inserts.get(kind)));
                reads.put(kind, readTimes(programs.get(kind)));
            }
        } finally {
            programs.values().forEach(FlowProgram::close);
        }
        String md = markdown(cases, memory, reads);
        out.println();
        out.print(md);
        if (markdownFile != null) Files.writeString(markdownFile, md);
        return 0;
    }

    /**
     * One round: a test-run of {@code repeat} packets per frame through the TC ingress entry point, each frame on its
     * own thread pinned to its own CPU, all released together; the kernel's mean ns per packet averaged over threads.
     * TC rather than XDP: an XDP test-run with repeat swaps the kernel's global XDP dispatcher under a mutex with an RCU
     * wait before and after its loop, which keeps two of them from running at the same time; the skb test-run has no
     * such step, and the flow-table code both entry points run is the same.
     */
    private double timed(BpfProgram tc, byte[][] frames) throws Exception {
        CyclicBarrier go = new CyclicBarrier(frames.length);
        List<FutureTask<Long>> tasks = new ArrayList<>();
        for (int t = 0; t < frames.length; t++) {
            int cpu = t;
            byte[] f = frames[t];
            FutureTask<Long> task = new FutureTask<>(() -> {
                Cpus.pinCurrentThread(cpu);
                go.await();
                return tc.testRun(TestRun.of(f).repeat(repeat)).durationNanos();
            });
            tasks.add(task);
            Thread.ofPlatform().start(task);
        }
        double sum = 0;
        for (FutureTask<Long> task : tasks) sum += task.get();
        return sum / frames.length;
    }

    /**
     * Proof that the two threads of a two-CPU round really run at the same time: the shared table with the per-CPU
     * code path (plain, non-atomic adds) loses increments only when two CPUs update the entry at once. Returns the
     * share of packets lost per round.
     */
    private double[] overlapWitness(byte[][] frames, PrintStream log) throws Exception {
        ObjectSpec spec = FlowProgram.spec(FlowConfig.defaults().tableSize(flows));
        spec.variable("cfg_percpu_table").set(true);
        double[] lost = new double[rounds];
        try (BpfObject o = spec.load()) {
            BpfMap table = o.map("flow_table");
            for (int r = 0; r < rounds; r++) {
                timed(o.program(FlowProgram.Hook.TC_INGRESS.programName()), frames);
                long counted = 0;
                for (byte[] key : table.keys()) {
                    counted += ByteBuffer.wrap(table.lookup(key).orElseThrow()).order(ByteOrder.nativeOrder()).getLong(0);
                    table.delete(key);
                }
                long sent = (long) repeat * frames.length;
                lost[r] = (double) (sent - counted) / sent;
                log.printf(Locale.ROOT, "  overlap witness: plain adds lost %.2f%% of packets%n", 100 * lost[r]);
            }
        }
        return lost;
    }

    /** Empties the table, then inserts {@code flows} new flows one test-run each on CPU 0; mean kernel ns per insert. */
    private double inserts(FlowProgram p) throws Exception {
        BpfProgram tc = p.program(FlowProgram.Hook.TC_INGRESS);
        FutureTask<Double> task = new FutureTask<>(() -> {
            Cpus.pinCurrentThread(0);
            try (FlowAggregator agg = new FlowAggregator(p, f -> { })) {
                agg.flush();
            }
            long sum = 0;
            for (int n = 0; n < flows; n++) sum += tc.testRun(TestRun.of(frame(n))).durationNanos();
            return (double) sum / flows;
        });
        Thread.ofPlatform().start(task);
        return task.get();
    }

    /**
     * Fills the table (all but one entry, so that the aggregator's eviction of quiet flows in a full table stays off)
     * and times FlowAggregator.poll(): the first poll (every flow new) and steady-state polls.
     */
    private double[] readTimes(FlowProgram p) {
        BpfProgram xdp = p.program(FlowProgram.Hook.XDP);
        int fill = flows - 1;
        FlowAggregator.Settings settings = FlowAggregator.Settings.defaults().evictAbove(1.0);
        try (FlowAggregator agg = new FlowAggregator(p, settings, FlowClock.system(), f -> { })) {
            agg.flush();
            for (int n = 0; n < fill; n++) xdp.testRun(TestRun.of(frame(n)));
            long t0 = System.nanoTime();
            agg.poll();
            double first = (System.nanoTime() - t0) / 1e6;
            double[] steady = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t = System.nanoTime();
                FlowAggregator.PollResult res = agg.poll();
                steady[r] = (System.nanoTime() - t) / 1e6;
                if (res.entries() != fill) throw new IllegalStateException("poll read " + res.entries() + " entries, table holds " + fill);
            }
            return new double[]{first, Samples.of(steady).median()};
        }
    }

    /** The kernel memory charged to a map: the {@code memlock} line of /proc/self/fdinfo/FD. */
    static long memlock(int fd) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("memlock:")) return Long.parseLong(line.substring(8).trim());
        }
        throw new IllegalStateException("no memlock in /proc/self/fdinfo/" + fd);
    }

    private String markdown(Map<TableKind, List<Case>> cases, Map<TableKind, Long> memory, Map<TableKind, double[]> reads) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Flow table of %,d entries; TC ingress entry point; %,d test-run repetitions per thread and round; "
                + "kernel-measured ns per packet, median (min - max) of %d rounds, layouts alternating.%n%n", flows, repeat, rounds));
        b.append("| Case | shared hash, atomic updates | per-CPU hash, plain updates |\n|---|---:|---:|\n");
        List<Case> shared = cases.get(TableKind.SHARED), perCpu = cases.get(TableKind.PER_CPU);
        for (int i = 0; i < shared.size(); i++) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", shared.get(i).name(), cell(shared.get(i)), cell(perCpu.get(i))));
        }
        Samples w = Samples.of(witness);
        b.append(String.format(Locale.ROOT, "| overlap witness: same 1-flow 2-CPU run on a shared hash with plain adds, packets lost "
                + "| %.2f%% (%.2f - %.2f) | |%n", 100 * w.median(), 100 * w.min(), 100 * w.max()));
        b.append(String.format(Locale.ROOT, "| kernel memory of the table (fdinfo memlock) | %.1f MiB | %.1f MiB |%n",
                memory.get(TableKind.SHARED) / 1048576.0, memory.get(TableKind.PER_CPU) / 1048576.0));
        b.append(String.format(Locale.ROOT, "| user space: first FlowAggregator.poll() of a full table | %.1f ms | %.1f ms |%n",
                reads.get(TableKind.SHARED)[0], reads.get(TableKind.PER_CPU)[0]));
        b.append(String.format(Locale.ROOT, "| user space: later polls of a full table (median) | %.1f ms | %.1f ms |%n",
                reads.get(TableKind.SHARED)[1], reads.get(TableKind.PER_CPU)[1]));
        return b.toString();
    }

    private static String cell(Case c) {
        Samples s = c.ns();
        return String.format(Locale.ROOT, "%.0f ns (%.0f - %.0f)", s.median(), s.min(), s.max());
    }
}
