package io.packetlens.bench;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.flow.FlowConfig;
import io.packetlens.flow.FlowProgram;
import io.packetlens.packet.Decapsulation;
import io.packetlens.packet.Frame;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;

/**
 * Benchmark (a command, not a test) of what looking into tunnels costs: the flow program's XDP and TC ingress entry
 * points run with BPF_PROG_TEST_RUN on a plain UDP frame, a plain TCP frame and a VXLAN frame, with decapsulation on
 * (the default), off ({@code cfg_decap} false, which the verifier prunes, so the tunnel check is not run at all), and,
 * when given, an object built from the flow program before the tunnel parse existed. Rounds alternate between the
 * programs, so load from other processes hits them alike.
 */
@Command(name = "bench-tunnels", mixinStandardHelpOptions = true, sortOptions = false,
        description = "What the tunnel parse costs the flow program, per packet, on plain and tunnelled frames. Needs root.")
public final class TunnelCostBenchmark implements Callable<Integer> {
    @Option(names = "--repeat", defaultValue = "5000000", description = "Test-run repetitions per case and round (default: ${DEFAULT-VALUE}).")
    int repeat;
    @Option(names = "--rounds", defaultValue = "7", description = "Timed rounds per case and program (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--baseline", paramLabel = "OBJECT", description = "A flow.bpf.o from before the tunnel parse, run with its built-in defaults.")
    Path baseline;
    @Option(names = "--markdown", description = "Also write the Markdown table to this file.")
    Path markdownFile;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new TunnelCostBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-tunnels: " + e.getMessage());
            if (e instanceof BpfException.PermissionException) cmd.getErr().println("bench-tunnels: loading BPF programs needs root; run as root.");
            if (!(e instanceof BpfException || e instanceof IllegalStateException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    private static final byte[] A = {10, 0, 0, 1}, B = {10, 99, 0, 1};
    /** The entry points measured: TC egress runs the same code as ingress. */
    private static final List<FlowProgram.Hook> HOOKS = List.of(FlowProgram.Hook.XDP, FlowProgram.Hook.TC_INGRESS);

    /** UDP 10.0.0.1:40000 -> 10.99.0.1:9000, 18 bytes of payload: a 64-byte frame. */
    static byte[] udp() {
        return Frame.ethernet().ipv4(A, B).udp(40000, 9000).payload(18).build();
    }

    static byte[] tcp() {
        return Frame.ethernet().ipv4(A, B).tcp(40000, 443).tcpFlags(0x10).payload(6).build();
    }

    /** {@link #udp()} inside VXLAN VNI 42, over UDP 192.168.0.1:49152 -> 192.168.0.2:4789. */
    static byte[] vxlan() {
        byte[] inner = udp();
        ByteBuffer p = ByteBuffer.allocate(8 + inner.length);
        p.put((byte) 0x08).put(new byte[3]).putInt(42 << 8).put(inner);
        return Frame.ethernet().ipv4(new byte[]{(byte) 192, (byte) 168, 0, 1}, new byte[]{(byte) 192, (byte) 168, 0, 2})
                .udp(49152, Decapsulation.VXLAN_PORT).payload(p.array()).build();
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out, log = System.err;
        Machine machine = Machine.describe(new Bpftool("bpftool"));
        out.printf("Machine: %s, %s RAM; %s, kernel %s%n", machine.cpuDescription(), machine.memory(), machine.os(), machine.kernel());
        out.printf("Load average at start: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
        Map<String, byte[]> frames = new LinkedHashMap<>();
        frames.put("UDP, 64 B", udp());
        frames.put("TCP, 64 B", tcp());
        frames.put("VXLAN around that UDP, 114 B", vxlan());
        List<AutoCloseable> owned = new ArrayList<>();
        Map<String, Map<FlowProgram.Hook, BpfProgram>> programs = new LinkedHashMap<>();
        try {
            for (boolean on : new boolean[]{true, false}) {
                FlowProgram p = FlowProgram.load(FlowConfig.defaults().decapsulation(on ? Decapsulation.DEFAULT : Decapsulation.OFF));
                owned.add(p);
                Map<FlowProgram.Hook, BpfProgram> m = new LinkedHashMap<>();
                for (FlowProgram.Hook h : HOOKS) m.put(h, p.program(h));
                programs.put(on ? "decapsulation on" : "decapsulation off", m);
            }
            if (baseline != null) {
                BpfObject o = ObjectSpec.read(baseline).load();
                owned.add(o);
                Map<FlowProgram.Hook, BpfProgram> m = new LinkedHashMap<>();
                for (FlowProgram.Hook h : HOOKS) m.put(h, o.program(h.programName()));
                programs.put("before the tunnel parse", m);
            }
            // results[hook][frame][program] = ns per packet, one per round
            Map<String, double[]> results = new LinkedHashMap<>();
            for (FlowProgram.Hook h : HOOKS) {
                for (var f : frames.entrySet()) {
                    for (var p : programs.entrySet()) {
                        timed(p.getValue().get(h), f.getValue()); // warm-up, and the entry exists from here on
                        results.put(key(h, f.getKey(), p.getKey()), new double[rounds]);
                    }
                    for (int r = 0; r < rounds; r++) {
                        log.printf("%s, %s: round %d/%d%n", h.programName(), f.getKey(), r + 1, rounds);
                        for (var p : programs.entrySet()) {
                            double ns = timed(p.getValue().get(h), f.getValue());
                            results.get(key(h, f.getKey(), p.getKey()))[r] = ns;
                            log.printf(Locale.ROOT, "  %s: %.1f ns/packet%n", p.getKey(), ns);
                        }
                    }
                }
            }
            String md = markdown(results, frames.keySet(), programs.keySet());
            out.println();
            out.print(md);
            if (markdownFile != null) Files.writeString(markdownFile, md);
        } finally {
            for (AutoCloseable c : owned.reversed()) c.close();
        }
        return 0;
    }

    private static String key(FlowProgram.Hook h, String frame, String program) {
        return h.programName() + "|" + frame + "|" + program;
    }

    /** One round on CPU 0: the kernel's mean ns per packet over {@code repeat} runs of the frame. */
    private double timed(BpfProgram p, byte[] frame) throws Exception {
        FutureTask<Long> task = new FutureTask<>(() -> {
            Cpus.pinCurrentThread(0);
            return p.testRun(TestRun.of(frame).repeat(repeat)).durationNanos();
        });
        Thread.ofPlatform().start(task);
        return task.get();
    }

    private String markdown(Map<String, double[]> results, Iterable<String> frames, Iterable<String> programs) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%,d test-run repetitions per round, one CPU; kernel-measured ns per packet, median (min - max) "
                + "of %d rounds, programs alternating.%n%n", repeat, rounds));
        b.append("| entry point | frame |");
        for (String p : programs) b.append(' ').append(p).append(" |");
        b.append("\n|---|---|");
        for (String ignored : programs) b.append("---:|");
        b.append('\n');
        for (FlowProgram.Hook h : HOOKS) {
            for (String f : frames) {
                b.append("| ").append(h.programName()).append(" | ").append(f).append(" |");
                for (String p : programs) {
                    Samples s = Samples.of(results.get(key(h, f, p)));
                    b.append(String.format(Locale.ROOT, " %.1f ns (%.1f - %.1f) |", s.median(), s.min(), s.max()));
                }
                b.append('\n');
            }
        }
        return b.toString();
    }
}
