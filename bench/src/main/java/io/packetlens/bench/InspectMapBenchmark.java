package io.packetlens.bench;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.MapBatch;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ops.dump.MapDump;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Benchmark (a command, not a test): {@code packetlens inspect map ID} against {@code bpftool map dump id ID} on the
 * same hash map with a struct value and BTF, in the same run, each as the process a user would start (JVM start
 * included for packetlens), output to /dev/null; plus the in-process dump (MapDump, no JVM start) for reference.
 * Every method formats every field from BTF. The warm-up round of each pipes the output back and counts one entry
 * marker per entry.
 */
@Command(name = "bench-inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "packetlens inspect map vs bpftool map dump: same map (hash, struct value, BTF), same run. Needs root.")
public final class InspectMapBenchmark implements Callable<Integer> {
    @Option(names = "--object", required = true, description = "inspect_bench.bpf.o (built by scripts/bench-inspect.sh)")
    Path object;
    @Option(names = "--packetlens-jar", required = true, description = "cli/target/packetlens.jar")
    Path jar;
    @Option(names = "--entries", defaultValue = "65536", description = "Entries (default: ${DEFAULT-VALUE}).")
    int entries;
    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds per method (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--bpftool", defaultValue = "bpftool", description = "bpftool executable (default: ${DEFAULT-VALUE}).")
    String bpftool;
    @Option(names = "--markdown", description = "Also write the Markdown table to this file.")
    Path markdownFile;

    private static final int KEY = 8, VALUE = 48;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new InspectMapBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-inspect: " + e.getMessage());
            if (!(e instanceof BpfException || e instanceof IllegalStateException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    /** A method: its label, the command it runs (null: in process), and the marker that appears once per entry in its output. */
    private record Method(String label, List<String> command, String perEntry) {}

    @Override
    public Integer call() throws Exception {
        if (entries <= 0 || entries > 1 << 20) throw new IllegalStateException("--entries must be 1..1048576");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (BpfObject obj = ObjectSpec.read(object).load()) {
            BpfMap map = obj.map("pl_bench_inspect");
            long fill = System.nanoTime();
            fill(map, entries);
            System.err.printf("bench-inspect: filled %,d entries in %d ms%n", entries, (System.nanoTime() - fill) / 1_000_000);
            String id = Integer.toString(map.id());
            List<String> pl = List.of(javaBin, "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "inspect", "map", id);
            // a JDK 25 AOT cache (JEP 483/514/515) from one training run: classes loaded and linked ahead of time
            Path aot = Files.createTempFile("pl-bench-inspect", ".aot");
            Files.delete(aot);
            aot.toFile().deleteOnExit();
            Path.of(aot + ".config").toFile().deleteOnExit();
            List<String> train = new ArrayList<>(pl);
            train.add(1, "-XX:AOTCacheOutput=" + aot);
            train.add("--json");
            Process training = new ProcessBuilder(train).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (training.waitFor() != 0 || !Files.exists(aot)) throw new IllegalStateException("AOT training run failed: " + train);
            List<String> plAot = new ArrayList<>(pl);
            plAot.add(1, "-XX:AOTCache=" + aot);
            List<Method> methods = List.of(
                    new Method("`packetlens inspect map ID --json`", concat(pl, "--json"), "\"key\":"),
                    new Method("`packetlens inspect map ID`", pl, "key: "),
                    new Method("`bpftool -j map dump id ID`", List.of(bpftool, "-j", "map", "dump", "id", id), "\"formatted\":"),
                    new Method("`bpftool map dump id ID`", List.of(bpftool, "map", "dump", "id", id), "\"key\": "),
                    new Method("in-process MapDump.writeJson (no JVM start)", null, null),
                    new Method("`packetlens inspect map ID --json`, JVM with an AOT cache", concat(plAot, "--json"), "\"key\":"));
            // warm-up: one counted run of each
            for (Method m : methods) {
                long n = m.command() == null ? MapDump.of(map).writeJson(java.io.OutputStream.nullOutputStream()).entries() : counted(m);
                if (n != entries) throw new IllegalStateException(m.label() + " produced " + n + " entries, expected " + entries);
                System.err.printf("bench-inspect: warm-up %s: %,d entries%n", m.label(), n);
            }
            Map<Method, double[]> wall = new LinkedHashMap<>(), cpu = new LinkedHashMap<>();
            for (Method m : methods) {
                wall.put(m, new double[rounds]);
                cpu.put(m, new double[rounds]);
            }
            for (int r = 0; r < rounds; r++) {
                for (Method m : methods) {
                    CpuTime c0 = m.command() == null ? CpuTime.process() : CpuTime.children();
                    long t0 = System.nanoTime();
                    if (m.command() == null) MapDump.of(map).writeJson(java.io.OutputStream.nullOutputStream());
                    else discarded(m);
                    long t = System.nanoTime() - t0;
                    CpuTime c = (m.command() == null ? CpuTime.process() : CpuTime.children()).minus(c0);
                    wall.get(m)[r] = t / 1e6;
                    cpu.get(m)[r] = c.totalNanos() / 1e6;
                }
            }
            Files.deleteIfExists(aot);
            Files.deleteIfExists(Path.of(aot + ".config"));
            Machine machine = Machine.describe(new Bpftool(bpftool));
            String table = table(machine, methods, wall, cpu);
            System.out.print(table);
            if (markdownFile != null) Files.writeString(markdownFile, table);
        }
        return 0;
    }

    private String table(Machine machine, List<Method> methods, Map<Method, double[]> wall, Map<Method, double[]> cpu) {
        StringBuilder b = new StringBuilder();
        b.append("- Machine: ").append(machine.cpuDescription()).append(", ").append(machine.memory()).append(" RAM\n");
        b.append("- OS: ").append(machine.os()).append(", kernel ").append(machine.kernel()).append('\n');
        b.append("- Java: ").append(machine.java()).append("; ").append(machine.bpftool()).append('\n');
        b.append(String.format("- Map: BPF_MAP_TYPE_HASH, %,d entries, key `struct bench_key` (8 B), value `struct bench_value` (48 B: u64s, "
                + "char[16], enum, s32, u16[2], bit fields, bool), BTF; 1 counted warm-up + %d timed rounds per method, interleaved%n%n", entries, rounds));
        b.append("| Method | Time per dump (median) | Min – max | CPU user + sys (median) | Entries/s | vs `bpftool -j map dump` | vs `bpftool map dump` |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|\n");
        double bj = Samples.of(wall.get(methods.get(2))).median(), bt = Samples.of(wall.get(methods.get(3))).median();
        for (Method m : methods) {
            Samples w = Samples.of(wall.get(m)), c = Samples.of(cpu.get(m));
            b.append(String.format("| %s | %s | %s – %s | %s | %s | %.2f× | %.2f× |%n", m.label(), ms(w.median()), ms(w.min()), ms(w.max()),
                    ms(c.median()), rate(entries / (w.median() / 1000)), bj / w.median(), bt / w.median()));
        }
        return b.toString();
    }

    private static String ms(double v) {
        return v >= 1000 ? String.format("%.2f s", v / 1000) : String.format("%.0f ms", v);
    }

    private static String rate(double v) {
        return v >= 1e6 ? String.format("%.2f M", v / 1e6) : String.format("%.0f k", v / 1e3);
    }

    private static List<String> concat(List<String> a, String... more) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }

    private static long counted(Method m) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(m.command()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // (stderr shown: a failing command says why)
        long n;
        try (InputStream in = p.getInputStream()) {
            n = Bpftool.countOccurrences(in, m.perEntry().getBytes(StandardCharsets.US_ASCII));
        }
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", m.command()) + " exited " + p.exitValue());
        return n;
    }

    private static void discarded(Method m) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(m.command()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", m.command()) + " exited " + p.exitValue());
    }

    /** Entry i: key {addr, port, proto}, value with every field a function of i (the layout of inspect_bench.bpf.c). */
    static void fill(BpfMap map, int n) {
        try (MapBatch b = map.batch(4096)) {
            for (int start = 0; start < n; start += 4096) {
                int count = Math.min(4096, n - start);
                MemorySegment k = b.keys(), v = b.values();
                for (int j = 0; j < count; j++) {
                    int i = start + j;
                    long ko = (long) j * KEY, vo = (long) j * VALUE;
                    k.set(JAVA_INT_UNALIGNED, ko, 0x0a000000 + i);
                    k.set(JAVA_SHORT_UNALIGNED, ko + 4, (short) (1024 + i % 60000));
                    k.set(JAVA_BYTE, ko + 6, (byte) (i % 2 == 0 ? 6 : 17));
                    k.set(JAVA_BYTE, ko + 7, (byte) 0);
                    v.asSlice(vo, VALUE).fill((byte) 0);
                    v.set(JAVA_LONG_UNALIGNED, vo, i * 3L + 1);
                    v.set(JAVA_LONG_UNALIGNED, vo + 8, (i * 3L + 1) * 1200);
                    byte[] name = ("eth" + i % 4).getBytes(StandardCharsets.US_ASCII);
                    MemorySegment.copy(name, 0, v, JAVA_BYTE, vo + 16, name.length);
                    v.set(JAVA_INT_UNALIGNED, vo + 32, 1 + i % 3);
                    v.set(JAVA_INT_UNALIGNED, vo + 36, -i);
                    v.set(JAVA_SHORT_UNALIGNED, vo + 40, (short) (1024 + i % 60000));
                    v.set(JAVA_SHORT_UNALIGNED, vo + 42, (short) 443);
                    v.set(JAVA_BYTE, vo + 44, (byte) (i % 8 | (i % 32) << 3));
                    v.set(JAVA_BYTE, vo + 45, (byte) (i % 2));
                }
                b.update(count);
            }
        }
    }
}
