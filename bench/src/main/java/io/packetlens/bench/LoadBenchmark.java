package io.packetlens.bench;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Benchmark (a command, not a test): the time from an object file to loaded programs (parse, BTF, maps, relocations,
 * BPF_PROG_LOAD of every program, which is mostly the verifier) with packetlens and with {@code bpftool prog loadall}
 * (libbpf), on the same objects in the same run, rounds interleaved. packetlens is timed three ways: inside a warm
 * JVM (what an agent pays to reload), its first load in that JVM, and as a new JVM process that loads once and exits
 * (what a command-line user pays, to set against bpftool's process).
 */
@Command(name = "bench-load", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Open-and-load time: packetlens vs bpftool prog loadall, same objects, same run. Needs root.")
public final class LoadBenchmark implements Callable<Integer> {
    @Parameters(description = "BPF object files")
    List<Path> objects;
    @Option(names = "--rounds", defaultValue = "11", description = "Timed rounds per method (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--bpftool", defaultValue = "bpftool", description = "bpftool executable (default: ${DEFAULT-VALUE}).")
    String bpftool;
    @Option(names = "--once", hidden = true, description = "Load the object once and exit (the new-JVM measurement).")
    boolean once;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new LoadBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-load: " + e.getMessage());
            if (!(e instanceof BpfException || e instanceof IllegalStateException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (once) {
            for (Path o : objects) ObjectSpec.read(o).load().close();
            return 0;
        }
        Bpftool tool = new Bpftool(bpftool);
        Machine m = Machine.describe(tool);
        System.out.println("machine: kernel " + m.kernel() + ", " + m.cpuDescription() + ", " + m.memory() + "; " + m.java() + "; " + m.bpftool());
        System.out.println("rounds: " + rounds + " per method, interleaved; medians (min - max) in milliseconds");
        System.out.println();
        System.out.println("| object | programs | packetlens, warm JVM | packetlens, first load in the JVM | packetlens, new JVM process | bpftool prog loadall (process) |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        for (Path o : objects) {
            int programs;
            double first;
            long t0 = System.nanoTime();
            try (BpfObject obj = ObjectSpec.read(o).load()) {
                first = (System.nanoTime() - t0) / 1e6;
                programs = obj.programs().size();
            }
            double[] warm = new double[rounds], fresh = new double[rounds], lib = new double[rounds];
            Path pins = Path.of("/sys/fs/bpf", "pl-bench-load-" + ProcessHandle.current().pid());
            for (int r = 0; r < rounds; r++) {
                long a = System.nanoTime();
                try (BpfObject obj = ObjectSpec.read(o).load()) {
                    warm[r] = (System.nanoTime() - a) / 1e6;
                    if (obj.programs().size() != programs) throw new IllegalStateException("program count changed");
                }
                fresh[r] = timeProcess(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", cp,
                        LoadBenchmark.class.getName(), "--once", o.toString()));
                try {
                    lib[r] = timeProcess(List.of(bpftool, "prog", "loadall", o.toString(), pins.toString()));
                } finally {
                    remove(pins);
                }
            }
            System.out.printf("| %s | %d | %s | %.1f | %s | %s |%n", o.getFileName(), programs, cell(warm), first, cell(fresh), cell(lib));
        }
        return 0;
    }

    private static String cell(double[] v) {
        Samples s = Samples.of(v);
        return String.format("%.1f (%.1f - %.1f)", s.median(), s.min(), s.max());
    }

    /** Wall time of a process in milliseconds; fails if it does not exit 0. */
    private static double timeProcess(List<String> command) throws Exception {
        long a = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish");
        }
        double ms = (System.nanoTime() - a) / 1e6;
        if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue());
        return ms;
    }

    private static void remove(Path dir) throws Exception {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
