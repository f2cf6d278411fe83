package io.packetlens.bench;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ProgramSpec;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.asm.Insn;
import io.packetlens.ebpf.link.Link;
import io.packetlens.ebpf.link.XdpChain;
import io.packetlens.ebpf.link.XdpChainOptions;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.flow.FlowConfig;
import io.packetlens.flow.FlowProgram;
import io.packetlens.flow.XdpSharing;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.packet.Frame;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Benchmark (a command, not a test) of what sharing an interface's XDP hook costs the flow monitor
 * (docs/XDP-CHAIN.md): the flow program's XDP entry point alone against the same program as the flow member of an
 * {@link XdpChain} (process-scoped: dispatcher, stub, member, end program; pinned: dispatcher, member, end), plus an
 * empty chain's dispatcher and a bare {@code return XDP_PASS}, all with BPF_PROG_TEST_RUN on one UDP flow (rounds
 * interleaved, kernel ns per run). Then the same with real traffic over the lab's veth pair, from the kernel's BPF
 * statistics (BPF_ENABLE_STATS: run_time_ns / run_cnt of the program attached to the interface, which for a chain is
 * the dispatcher and covers every tail call behind it).
 */
@Command(name = "bench-xdp-chain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Cost of the XDP chain for the flow monitor: alone vs chained, test-run and BPF stats. Needs root.")
public final class XdpChainBenchmark implements Callable<Integer> {
    @Option(names = "--repeat", defaultValue = "2000000", description = "Test-run repetitions per case and round (default: ${DEFAULT-VALUE}).")
    int repeat;
    @Option(names = "--rounds", defaultValue = "9", description = "Rounds per case (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--packets", defaultValue = "50000", description = "UDP packets per real-traffic case (default: ${DEFAULT-VALUE}).")
    int packets;

    private static final int PORT = 9430;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new XdpChainBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-xdp-chain: " + e.getMessage());
            if (!(e instanceof BpfException || e instanceof IllegalStateException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path bpffs = Bpffs.mountPrivate(Path.of("/tmp/pl-bench-chain-" + ProcessHandle.current().pid()));
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            XdpChainOptions chains = new XdpChainOptions(bpffs.resolve("xdp"), XdpMode.DRIVER);
            FlowConfig xdpOnly = FlowConfig.defaults().hooks(EnumSet.of(FlowProgram.Hook.XDP));
            byte[] frame = Frame.ethernet().ipv4("10.0.0.1", "10.99.0.1").udp(40000, PORT).payload(18).build();
            Machine machine = Machine.describe(new Bpftool("bpftool"));
            System.out.println("machine: kernel " + machine.kernel() + ", " + machine.cpuDescription() + ", " + machine.memory() + ", load "
                    + Files.readString(Path.of("/proc/loadavg")).strip());
            System.out.printf(Locale.ROOT, "test-run: %d x %d repetitions per case, one IPv4/UDP flow (%d-byte frame)%n", rounds, repeat, frame.length);

            Map<String, double[]> testRun = new LinkedHashMap<>();
            try (FlowProgram alone = FlowProgram.load(xdpOnly.xdpSharing(XdpSharing.DIRECT));
                 FlowProgram process = FlowProgram.load(xdpOnly.xdpSharing(new XdpSharing(XdpSharing.Policy.CHAIN, chains)));
                 FlowProgram pinned = FlowProgram.load(xdpOnly.pinDirectory(Files.createDirectories(bpffs.resolve("flow-pins")))
                         .xdpSharing(new XdpSharing(XdpSharing.Policy.CHAIN, chains)));
                 BpfProgram pass = BpfProgram.load(ProgramSpec.of("bench_pass", ProgramType.XDP, "GPL",
                         Insn.program(Insn.movImm(0, 2), Insn.exit())).attachType(AttachType.XDP))) {
                b.exec("ip", "link", "add", "bench0", "type", "veth", "peer", "name", "bench1"); // no dummy driver here
                XdpChain empty = b.call(() -> XdpChain.open("bench0", chains.mode(XdpMode.GENERIC)));
                XdpChain.Member p = b.call(() -> process.attachXdpChained("veth0", XdpMode.DRIVER));
                XdpChain.Member q = a.call(() -> pinned.attachXdpChained("veth0", XdpMode.DRIVER));
                try (BpfProgram emptyDisp = BpfProgram.openById(empty.dispatcherId());
                     BpfProgram processDisp = BpfProgram.openById(p.chain().dispatcherId());
                     BpfProgram pinnedDisp = BpfProgram.openById(q.chain().dispatcherId())) {
                    Map<String, BpfProgram> cases = new LinkedHashMap<>();
                    cases.put("bare XDP_PASS program (harness floor)", pass);
                    cases.put("empty chain: dispatcher, 64 empty slots", emptyDisp);
                    cases.put("flow_xdp alone (XDP link of its own)", alone.program(FlowProgram.Hook.XDP));
                    cases.put("flow_xdp chained, pinned: dispatcher -> flow -> end", pinnedDisp);
                    cases.put("flow_xdp chained, process-scoped: dispatcher -> stub -> flow -> end", processDisp);
                    for (String c : cases.keySet()) testRun.put(c, new double[rounds]);
                    TestRun run = TestRun.of(frame).repeat(repeat);
                    for (BpfProgram prog : cases.values()) prog.testRun(TestRun.of(frame).repeat(10_000)); // warm the flow entry
                    for (int r = 0; r < rounds; r++) {
                        for (var e : cases.entrySet()) testRun.get(e.getKey())[r] = e.getValue().testRun(run).durationNanos();
                    }
                } finally {
                    q.remove();
                    pinned.detachAll();
                    p.close();
                    empty.close();
                    b.exec("ip", "link", "del", "bench0");
                }
            }
            for (var e : testRun.entrySet()) {
                Samples s = Samples.of(e.getValue());
                System.out.printf(Locale.ROOT, "  %-70s %6.1f ns  (%.1f - %.1f)%n", e.getKey(), s.median(), s.min(), s.max());
            }

            System.out.printf(Locale.ROOT, "real traffic: %d UDP packets a -> b per round, %d rounds, BPF stats of the program on b's veth0 (driver mode)%n",
                    packets, Math.max(3, rounds / 3));
            Map<String, double[]> stats = new LinkedHashMap<>();
            stats.put("flow_xdp alone", new double[Math.max(3, rounds / 3)]);
            stats.put("flow_xdp chained, process-scoped (dispatcher's stats: the whole chain)", new double[Math.max(3, rounds / 3)]);
            try (Fd enabled = enableStats()) {
                for (int r = 0; r < stats.get("flow_xdp alone").length; r++) {
                    try (FlowProgram alone = FlowProgram.load(xdpOnly.xdpSharing(XdpSharing.DIRECT));
                         Link l = b.call(() -> alone.attachXdpShared(null, "veth0", XdpMode.DRIVER))) {
                        stats.get("flow_xdp alone")[r] = perRun(alone.program(FlowProgram.Hook.XDP), a, b);
                    }
                    try (FlowProgram chained = FlowProgram.load(xdpOnly.xdpSharing(new XdpSharing(XdpSharing.Policy.CHAIN, chains)));
                         XdpChain.Member m = b.call(() -> chained.attachXdpChained("veth0", XdpMode.DRIVER));
                         BpfProgram d = BpfProgram.openById(m.chain().dispatcherId())) {
                        stats.get("flow_xdp chained, process-scoped (dispatcher's stats: the whole chain)")[r] = perRun(d, a, b);
                    }
                }
            }
            for (var e : stats.entrySet()) {
                Samples s = Samples.of(e.getValue());
                System.out.printf(Locale.ROOT, "  %-70s %6.1f ns  (%.1f - %.1f)%n", e.getKey(), s.median(), s.min(), s.max());
            }
            return 0;
        } finally {
            Bpffs.unmount(bpffs);
            Files.deleteIfExists(bpffs);
        }
    }

    /** Kernel ns per run of {@code prog} over one burst of UDP from a to b (BPF statistics deltas). */
    private double perRun(BpfProgram prog, Host a, Host b) throws Exception {
        long[] before = runStats(prog);
        Traffic.udp(a, b, false, packets, 18, PORT);
        long[] after = runStats(prog);
        long runs = after[1] - before[1];
        if (runs < packets) throw new IllegalStateException(prog.name() + " ran " + runs + " times for " + packets + " packets");
        return (double) (after[0] - before[0]) / runs;
    }

    /** BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): the kernel times every program run while the returned fd is open. */
    private static Fd enableStats() {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, 0, 0); // BPF_STATS_RUN_TIME
        int r = Syscalls.bpf(BpfCmd.ENABLE_STATS, a, 4);
        if (r < 0) throw BpfException.of("BPF_ENABLE_STATS", -r);
        return new Fd(r);
    }

    /** run_time_ns and run_cnt of struct bpf_prog_info. */
    private static long[] runStats(BpfProgram prog) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
            Bpf.info(prog.fd(), info);
            return new long[]{info.get(JAVA_LONG, BpfAttr.ProgInfo.RUN_TIME_NS), info.get(JAVA_LONG, BpfAttr.ProgInfo.RUN_CNT)};
        }
    }
}
