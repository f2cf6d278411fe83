package io.packetlens.bench;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapBatch;
import io.packetlens.ebpf.MapSpec;
import io.packetlens.ebpf.MapType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Benchmark (a command, not a test): reads a whole BPF_MAP_TYPE_HASH of flow-shaped entries
 * with BPF_MAP_LOOKUP_BATCH at several batch sizes, with GET_NEXT_KEY + LOOKUP_ELEM, and
 * with {@code bpftool map dump} (text and JSON) on the same map in the same run, and prints
 * entries per second, CPU time and a Markdown table for docs/BENCHMARKS.md.
 */
@Command(name = "bench-maps", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Map dump throughput: packetlens batch lookup vs bpftool map dump, same map, same run. Needs root.")
public final class MapDumpBenchmark implements Callable<Integer> {
    private static final String MAP_NAME = "pl_bench_flows";
    private static final int FILL_BATCH = 65_536;

    @Option(names = "--entries", defaultValue = "1000000", description = "Entries in the hash map (default: ${DEFAULT-VALUE}).")
    int entries;
    @Option(names = "--key-size", defaultValue = "16", description = "Key size in bytes, at least 4 (default: ${DEFAULT-VALUE}, a flow key).")
    int keySize;
    @Option(names = "--value-size", defaultValue = "32", description = "Value size in bytes, at least 8 (default: ${DEFAULT-VALUE}, a flow record).")
    int valueSize;
    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds per method (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--warmup", defaultValue = "1", description = "Untimed warm-up rounds per method, at least 1 (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--batch-sizes", split = ",", defaultValue = "256,4096,65536", description = "Batch sizes for BPF_MAP_LOOKUP_BATCH (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;
    @Option(names = "--bpftool", defaultValue = "bpftool", description = "bpftool executable (default: ${DEFAULT-VALUE}).")
    String bpftool;
    @Option(names = "--markdown", description = "Also write the Markdown report to this file.")
    Path markdownFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new MapDumpBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-maps: " + e.getMessage());
            if (e instanceof BpfException.PermissionException) cmd.getErr().println("bench-maps: creating BPF maps needs root (CAP_BPF and CAP_SYS_ADMIN); run as root.");
            if (!(e instanceof BpfException || e instanceof IllegalStateException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    /** Validated settings from the options; a usage error if they make no sense. */
    Settings settings() {
        try {
            return new Settings(entries, keySize, valueSize, rounds, warmup, batchSizes, bpftool);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Override
    public Integer call() throws IOException {
        Settings s = settings();
        PrintStream out = System.out, log = System.err;
        Bpftool tool = new Bpftool(s.bpftool());
        Machine machine = Machine.describe(tool);
        out.printf("Machine: %s, %s RAM; %s, kernel %s%n", machine.cpuDescription(), machine.memory(), machine.os(), machine.kernel());
        out.printf("Java: %s; %s%n", machine.java(), machine.bpftool());

        List<Result> results;
        EnumMap<Bpftool.Format, Method> bpftoolMethods = new EnumMap<>(Bpftool.Format.class);
        try (BpfMap map = BpfMap.create(MapSpec.of(MAP_NAME, MapType.HASH, s.keySize(), s.valueSize(), s.entries()))) {
            long t0 = System.nanoTime();
            long filled = FlowEntries.fill(map, s.entries(), Math.min(FILL_BATCH, s.entries()));
            double fillSeconds = (System.nanoTime() - t0) / 1e9;
            int id = map.id();
            out.printf(Locale.ROOT, "Map: id %d, BPF_MAP_TYPE_HASH, key %d B, value %d B, filled with %,d entries by BPF_MAP_UPDATE_BATCH in %.2f s (%s entries/s)%n",
                    id, s.keySize(), s.valueSize(), filled, fillSeconds, MarkdownReport.rate(filled / fillSeconds));

            List<MapBatch> batches = new ArrayList<>();
            try {
                List<Method> methods = new ArrayList<>();
                for (int size : s.batchSizes()) {
                    MapBatch batch = map.batch(size);
                    batches.add(batch);
                    methods.add(Method.inProcess(String.format(Locale.ROOT, "packetlens batch lookup, %,d per call", size),
                            () -> JavaDumps.batchLookup(batch)));
                }
                methods.add(Method.inProcess("packetlens GET_NEXT_KEY + LOOKUP_ELEM", () -> JavaDumps.keyIteration(map)));
                for (Bpftool.Format f : Bpftool.Format.values()) {
                    String label = "`" + String.join(" ", tool.dumpCommand(f, id)).replace(" id " + id, " id N") + " > /dev/null`";
                    Method m = new Method(label, true,
                            () -> new DumpCount(tool.dumpCounting(f, id), -1),
                            () -> { tool.dumpDiscarding(f, id); return null; });
                    bpftoolMethods.put(f, m);
                    methods.add(m);
                }
                results = measure(methods, s, out, log);
            } finally {
                batches.forEach(MapBatch::close);
            }
        }

        out.println();
        printSummary(results, out);
        Result text = resultOf(results, bpftoolMethods.get(Bpftool.Format.TEXT));
        Result json = resultOf(results, bpftoolMethods.get(Bpftool.Format.JSON));
        String md = MarkdownReport.render(machine, s, results, text, json);
        out.println();
        out.println("Markdown for docs/BENCHMARKS.md:");
        out.println();
        out.print(md);
        if (markdownFile != null) {
            Files.writeString(markdownFile, md);
            out.println();
            out.println("(also written to " + markdownFile + ")");
        }
        return 0;
    }

    /** Warm-ups (verified), then the timed rounds, interleaving methods so background noise spreads over all of them. */
    static List<Result> measure(List<Method> methods, Settings s, PrintStream out, PrintStream log) {
        for (Method m : methods) {
            for (int w = 0; w < s.warmup(); w++) {
                Round.Start start = Round.Start.now();
                DumpCount c = m.warmUp().get();
                Round r = start.end(c.entries());
                c.check(m.name(), s.entries());
                if (w == 0) {
                    out.printf(Locale.ROOT, "Warm-up: %-62s %,d entries verified%s in %.3f s%n", m.name(), c.entries(),
                            c.packetSum() >= 0 ? " (values too)" : m.childProcess() ? " (output piped and counted)" : "", r.wallNanos() / 1e9);
                }
            }
        }
        List<List<Round>> rounds = new ArrayList<>();
        methods.forEach(m -> rounds.add(new ArrayList<>()));
        for (int i = 0; i < s.rounds(); i++) {
            log.printf("round %d/%d%n", i + 1, s.rounds());
            for (int j = 0; j < methods.size(); j++) {
                Method m = methods.get(j);
                Round.Start start = Round.Start.now();
                DumpCount c = m.timed().get();
                Round r = start.end(c == null ? s.entries() : c.entries());
                if (c != null) c.check(m.name(), s.entries());
                rounds.get(j).add(r);
            }
        }
        List<Result> results = new ArrayList<>();
        for (int j = 0; j < methods.size(); j++) results.add(new Result(methods.get(j), rounds.get(j)));
        return results;
    }

    private static void printSummary(List<Result> results, PrintStream out) {
        for (Result r : results) {
            Samples eps = r.entriesPerSecond();
            out.printf(Locale.ROOT, "%-62s median %s entries/s (min %s, max %s); per dump %s wall, CPU %s user + %s sys (%s)%n",
                    r.method().name(), MarkdownReport.rate(eps.median()), MarkdownReport.rate(eps.min()), MarkdownReport.rate(eps.max()),
                    MarkdownReport.millis(r.wallMillis().median()), MarkdownReport.millis(r.userMillis().median()),
                    MarkdownReport.millis(r.sysMillis().median()), r.method().childProcess() ? "bpftool process" : "whole JVM");
            out.printf("    rounds (entries/s): %s%n", r.rounds().stream()
                    .map(x -> MarkdownReport.rate(x.entriesPerSecond())).collect(Collectors.joining(", ")));
        }
    }

    private static Result resultOf(List<Result> results, Method m) {
        return results.stream().filter(r -> r.method() == m).findFirst().orElseThrow();
    }
}
