package io.packetlens.bench;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.packet.FrameMix;
import io.packetlens.packet.SourceFrames;
import io.packetlens.trafficgen.InterfaceMac;
import io.packetlens.trafficgen.LiveFrameGenerator;
import io.packetlens.trafficgen.TrafficGenerator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Benchmark (a command, not a test) of packetlens guard against nftables (docs/BENCHMARKS.md, "Guard"). The same two
 * rules (deny UDP from a /16, rate-limit TCP SYN per source) held by: no firewall (the reference), packetlens guard at
 * XDP (driver mode, in the interface's XDP chain) and at TC ingress, nftables at netdev ingress and at inet filter
 * input. For each, on the lab's veth pair: an iperf3 TCP stream alone (unloaded throughput), the flood alone (drops
 * per second and the CPU it costs: every CPU's softirq time from /proc/stat, where the receive path runs), and the
 * stream during the flood. The flood is 64-byte frames from packetlens trafficgen (AF_XDP) pinned to one CPU: UDP from
 * every address of the denied /16 and SYNs from 1,024 sources, 3:1; iperf3's client and server are pinned to the other
 * CPU. Rounds interleave the variants. Then the guard's XDP program under BPF_PROG_TEST_RUN with 10, 1,000 and
 * 100,000 deny prefixes.
 */
@Command(name = "bench-guard", mixinStandardHelpOptions = true, sortOptions = false,
        description = "packetlens guard vs nftables under a UDP + SYN flood, and the guard's test-run cost by prefix count. Needs root.")
public final class GuardBenchmark implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "10", description = "Length of each measured window (default: ${DEFAULT-VALUE}).")
    int seconds;
    @Option(names = "--rounds", defaultValue = "3", description = "Rounds through every variant (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--variants", split = ",", defaultValue = "none,xdp-drop-all,guard-xdp,guard-tc,nft-ingress,nft-input",
            description = "Variants to run (default: ${DEFAULT-VALUE}).")
    List<String> variants;
    @Option(names = "--flood-cpu", defaultValue = "0", description = "CPU of the flood generator (default: ${DEFAULT-VALUE}).")
    int floodCpu;
    @Option(names = "--stream-cpu", defaultValue = "1", description = "CPU of iperf3's client and server (default: ${DEFAULT-VALUE}).")
    int streamCpu;
    @Option(names = "--syn-per-second", defaultValue = "10", description = "SYN rate limit per source (default: ${DEFAULT-VALUE}).")
    long synPerSecond;
    @Option(names = "--prefixes", split = ",", defaultValue = "10,1000,100000", description = "Prefix counts for the test-run part (default: ${DEFAULT-VALUE}).")
    List<Integer> prefixes;
    @Option(names = "--repeat", defaultValue = "1000000", description = "Test-run repetitions per case and round (default: ${DEFAULT-VALUE}).")
    int repeat;
    @Option(names = "--test-rounds", defaultValue = "7", description = "Test-run rounds (default: ${DEFAULT-VALUE}).")
    int testRounds;
    @Option(names = "--engine", defaultValue = "live", description = "Flood generator: live (in-kernel, xdp_frames through "
            + "ndo_xdp_xmit, as a NIC delivers) or af-xdp (AF_XDP copy mode: skbs the peer's XDP path must copy) (default: ${DEFAULT-VALUE}).")
    String engine;
    @Option(names = "--bpf-stats", description = "Turn on the kernel's BPF statistics during the flood and report the guard program's own ns per run "
            + "(costs every BPF program, the generator's too, two clock reads per run).")
    boolean bpfStats;
    @Option(names = "--skip-flood", description = "Only the test-run part.")
    boolean skipFlood;
    @Option(names = "--skip-test-run", description = "Only the flood part.")
    boolean skipTestRun;

    private static final String UDP_PREFIX = "10.198.0.0/16";
    private static final String UDP_FIRST = "10.198.0.0";
    private static final String SYN_FIRST = "10.197.0.0";
    private static final int SYN_SOURCES = 1024;
    private static final int FRAME = 60; // 64 bytes on the wire with the FCS
    private static final int IPERF_PORT = 19450;

    /** One variant's measurements in one round. */
    record Round(double unloadedBps, double floodPps, double dropsPerSecond, double softirqCpu, double busyCpu,
                 double dropsPerCpuSecond, double loadedBps, long udpDrops, long synDrops) {}

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new GuardBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-guard: " + e.getMessage());
            if (!(e instanceof BpfException || e instanceof IllegalStateException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!List.of("live", "af-xdp").contains(engine)) throw new IllegalStateException("unknown engine '" + engine + "' (live, af-xdp)");
        for (String v : variants) {
            if (!List.of("none", "xdp-drop-all", "guard-xdp", "guard-tc", "nft-ingress", "nft-input").contains(v)) {
                throw new IllegalStateException("unknown variant '" + v + "' (none, xdp-drop-all, guard-xdp, guard-tc, nft-ingress, nft-input)");
            }
        }
        Machine machine = Machine.describe(new Bpftool("bpftool"));
        System.out.println("machine: kernel " + machine.kernel() + ", " + machine.cpuDescription() + ", " + machine.memory() + ", load "
                + Files.readString(Path.of("/proc/loadavg")).strip());
        System.out.println("nftables: " + run("nft", "--version") + "; iperf3: " + run("iperf3", "--version").lines().findFirst().orElse("?"));
        GuardFirewalls.Rules rules = new GuardFirewalls.Rules(UDP_PREFIX, synPerSecond, synPerSecond * 2);
        if (!skipFlood) flood(rules);
        if (!skipTestRun) testRuns(rules);
        return 0;
    }

    private void flood(GuardFirewalls.Rules rules) throws Exception {
        Path work = Files.createTempDirectory("pl-bench-guard");
        Path bpffs = Bpffs.mountPrivate(Path.of("/tmp/pl-bench-guard-" + ProcessHandle.current().pid()));
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            // a host under attack answers the SYNs it lets through: give it a route back to the flood's sources
            b.exec("ip", "route", "add", "10.192.0.0/11", "dev", b.ifname());
            // NAPI and GRO on the receiving veth, as a NIC driver has them; xdp_frames need NAPI to land at all
            b.exec("ethtool", "-K", b.ifname(), "gro", "on");
            queuePerCpu(a, b);
            Iperf3 iperf = new Iperf3(b, a, IPERF_PORT, streamCpu, streamCpu);
            iperf.startServer();
            System.out.printf(Locale.ROOT, "flood: %d-byte frames, UDP from %s (65,536 sources) and SYN from %s (%,d sources) 3:1, "
                            + "trafficgen (%s) on CPU %d; iperf3 on CPU %d; windows of %d s, %d rounds%n",
                    FRAME + 4, UDP_PREFIX, SYN_FIRST, SYN_SOURCES, engine, floodCpu, streamCpu, seconds, rounds);
            System.out.println("rules: deny UDP from " + UDP_PREFIX + "; rate-limit SYN (no ACK) to " + rules.synPerSecond()
                    + "/s burst " + rules.synBurst() + " per source address");
            io.packetlens.ebpf.info.BpfStats stats = bpfStats ? io.packetlens.ebpf.info.BpfStats.enable() : null;
            Map<String, List<Round>> results = new LinkedHashMap<>();
            for (String v : variants) results.put(v, new ArrayList<>());
            for (int r = 0; r < rounds; r++) {
                for (String v : variants) {
                    try (GuardFirewalls.Firewall fw = firewall(v, b, rules, work, bpffs)) {
                        Round round = measure(a, b, v.equals("xdp-drop-all") ? null : iperf, fw);
                        results.get(v).add(round);
                        System.out.printf(Locale.ROOT, "  round %d %-12s unloaded %6.2f Gbit/s, flood %,9.0f pps, drops %,9.0f/s, softirq %.2f CPU, "
                                        + "%,10.0f drops/CPU-s, loaded %6.2f Gbit/s%n", r + 1, v, round.unloadedBps() / 1e9, round.floodPps(),
                                round.dropsPerSecond(), round.softirqCpu(), round.dropsPerCpuSecond(), round.loadedBps() / 1e9);
                    }
                }
            }
            if (stats != null) stats.close();
            report(results);
        } finally {
            Bpffs.unmount(bpffs);
            Files.deleteIfExists(bpffs);
            try (var files = Files.list(work)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(work);
        }
    }

    private GuardFirewalls.Firewall firewall(String v, Host b, GuardFirewalls.Rules rules, Path work, Path bpffs) throws Exception {
        return switch (v) {
            case "none" -> GuardFirewalls.none();
            case "xdp-drop-all" -> GuardFirewalls.xdpDropAll(b, b.ifname());
            case "guard-xdp" -> GuardFirewalls.guard(b, b.ifname(), rules, true, bpffs.resolve("xdp"));
            case "guard-tc" -> GuardFirewalls.guard(b, b.ifname(), rules, false, bpffs.resolve("xdp"));
            case "nft-ingress" -> GuardFirewalls.nft(b, b.ifname(), rules, true, work);
            case "nft-input" -> GuardFirewalls.nft(b, b.ifname(), rules, false, work);
            default -> throw new IllegalStateException(v);
        };
    }

    /** Unloaded stream, then the flood alone, then the stream during the flood. */
    private Round measure(Host a, Host b, Iperf3 iperf, GuardFirewalls.Firewall fw) throws Exception {
        int streamSeconds = seconds + 2;
        // the drop-all reference drops the stream too: no stream for it
        Iperf3.Result unloaded = iperf == null ? new Iperf3.Result(Double.NaN, 0, 0) : Iperf3.finish(iperf.startClient(streamSeconds), 1, streamSeconds);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread gen = Thread.ofPlatform().name("bench-guard-flood").start(() -> {
            try {
                List<SourceFrames> parts = floodParts(a, b);
                a.call(() -> {
                    Cpus.pinCurrentThread(floodCpu);
                    if (engine.equals("live")) {
                        try (LiveFrameGenerator g = LiveFrameGenerator.open(a.ifindex(), parts, List.of(3, 1))) {
                            g.run(Long.MAX_VALUE, stop::get);
                        }
                    } else {
                        try (TrafficGenerator g = TrafficGenerator.open(a.ifname(), 0, new FrameMix(parts, List.of(3, 1)), BindMode.COPY)) {
                            g.run(Long.MAX_VALUE, 0, stop::get);
                        }
                    }
                    return null;
                });
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        try {
            Thread.sleep(1500); // past the generator's start and the rate limiter's burst
            check(failed);
            GuardFirewalls.Drops d0 = fw.drops();
            long tx0 = offered(a);
            long[] ps0 = fw.programStats();
            CpuTicks[] cpu0 = CpuTicks.online();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            CpuTicks[] cpu1 = CpuTicks.online();
            long t1 = System.nanoTime();
            long tx1 = offered(a);
            GuardFirewalls.Drops d1 = fw.drops();
            long[] ps1 = fw.programStats();
            if (ps1 != null && ps1[1] > ps0[1]) {
                System.out.printf(Locale.ROOT, "    guard program: %,d runs, %.1f ns per run (kernel BPF statistics)%n", ps1[1] - ps0[1],
                        (double) (ps1[0] - ps0[0]) / (ps1[1] - ps0[1]));
            }
            check(failed);
            Iperf3.Result loaded = iperf == null ? unloaded : Iperf3.finish(iperf.startClient(streamSeconds), 1, streamSeconds);
            check(failed);
            double secs = (t1 - t0) / 1e9;
            long softirqTicks = 0, busyTicks = 0;
            StringBuilder detail = new StringBuilder();
            for (int i = 0; i < cpu1.length; i++) {
                CpuTicks c = cpu1[i].minus(cpu0[i]);
                softirqTicks += c.softirq();
                busyTicks += c.busy();
                detail.append(String.format(Locale.ROOT, " cpu%d[usr %d sys %d si %d idle %d]", i, c.user(), c.system(), c.softirq(), c.idle()));
            }
            System.out.println("    ticks:" + detail);
            double softirq = softirqTicks / CpuTicks.HZ / secs;
            double busy = busyTicks / CpuTicks.HZ / secs;
            GuardFirewalls.Drops d = d1 == null ? new GuardFirewalls.Drops(0, 0, 0) : d1.minus(d0);
            double dps = d.total() / secs;
            return new Round(unloaded.bitsPerSecond(), (tx1 - tx0) / secs, dps, softirq, busy, softirq > 0 ? dps / softirq : 0,
                    loaded.bitsPerSecond(), d.udp(), d.syn());
        } finally {
            stop.set(true);
            gen.join();
        }
    }

    private static void check(AtomicReference<Throwable> failed) {
        Throwable t = failed.get();
        if (t != null) throw new IllegalStateException("the flood generator failed: " + t, t);
    }

    /**
     * One queue per CPU on both ends, and XPS on the sender mapping each CPU to its own queue. Without XDP, veth
     * receives into the sending CPU's backlog, so the flood (sent from one CPU) and the stream (from the other) never
     * share a queue; with an XDP program, veth receives into its own rings instead, and with one ring the flood would
     * fill the stream's ring too. A queue per sending CPU gives every variant the same separation, as a NIC's RSS
     * spreads flows over queues.
     */
    private static void queuePerCpu(Host a, Host b) throws Exception {
        int n = Cpus.online().length;
        for (Host h : List.of(a, b)) h.exec("ethtool", "-L", h.ifname(), "rx", Integer.toString(n), "tx", Integer.toString(n));
        StringBuilder xps = new StringBuilder();
        for (int i = 0; i < n; i++) {
            xps.append("echo ").append(Long.toHexString(1L << Cpus.online()[i])).append(" > /sys/class/net/").append(a.ifname())
                    .append("/queues/tx-").append(i).append("/xps_cpus; ");
        }
        a.exec("sh", "-c", xps.toString());
    }

    /** Frames a's veth0 sent: as skbs (tx_packets) or as xdp_frames (its XDP transmit count). */
    private long offered(Host a) throws Exception {
        if (!engine.equals("live")) return a.linkStats().txPackets();
        return GuardFirewalls.ethtoolSum(a, a.ifname(), "tx_queue_\\d+_xdp_xmit");
    }

    private static List<SourceFrames> floodParts(Host a, Host b) throws Exception {
        byte[] src = InterfaceMac.parse(a.mac()), dst = InterfaceMac.parse(b.mac());
        Inet4Address to = (Inet4Address) InetAddress.ofLiteral(b.ipv4());
        SourceFrames udp = new SourceFrames(SourceFrames.Kind.UDP, FRAME, src, dst, (Inet4Address) InetAddress.ofLiteral(UDP_FIRST),
                65_536, 1, to, 19_410);
        SourceFrames syn = new SourceFrames(SourceFrames.Kind.SYN, FRAME, src, dst, (Inet4Address) InetAddress.ofLiteral(SYN_FIRST),
                SYN_SOURCES, 64, to, 19_400);
        return List.of(udp, syn);
    }

    private void report(Map<String, List<Round>> results) {
        double unloadedRef = median(results.getOrDefault("none", List.of()), Round::unloadedBps);
        System.out.println();
        System.out.println("| variant | flood offered (pps) | dropped (pps) | softirq (CPUs) | all busy (CPUs) | drops per softirq CPU-s | "
                + "iperf3 unloaded (Gbit/s) | iperf3 during flood (Gbit/s) | kept vs own unloaded | kept vs no firewall unloaded |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (var e : results.entrySet()) {
            List<Round> rs = e.getValue();
            double un = median(rs, Round::unloadedBps), lo = median(rs, Round::loadedBps);
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %.2f | %.2f | %,.0f | %.2f | %.2f | %.0f%% | %s |%n", e.getKey(),
                    median(rs, Round::floodPps), median(rs, Round::dropsPerSecond), median(rs, Round::softirqCpu),
                    median(rs, Round::busyCpu), median(rs, Round::dropsPerCpuSecond), un / 1e9, lo / 1e9, 100 * lo / un,
                    unloadedRef > 0 ? String.format(Locale.ROOT, "%.0f%%", 100 * lo / unloadedRef) : "-");
        }
        System.out.println("(medians of " + rounds + " rounds; min-max per round above)");
    }

    private static double median(List<Round> rs, java.util.function.ToDoubleFunction<Round> f) {
        if (rs.isEmpty()) return 0;
        return Samples.of(rs.stream().mapToDouble(f).toArray()).median();
    }

    private void testRuns(GuardFirewalls.Rules rules) throws Exception {
        System.out.printf(Locale.ROOT, "%ntest-run: guard XDP entry point, %d x %,d repetitions per case, 60-byte frames, CPU %d%n",
                testRounds, repeat, streamCpu);
        List<GuardTestRuns.Timing> t = GuardTestRuns.run(prefixes, rules.guardYaml(), "10.198.3.4", "10.197.0.9", repeat, testRounds,
                streamCpu, System.err);
        System.out.println("| ruleset | packet | ns per packet (median) | min - max |");
        System.out.println("|---|---|---:|---:|");
        for (GuardTestRuns.Timing x : t) {
            Samples s = x.samples();
            System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.1f - %.1f |%n", x.ruleset(), x.packet(), s.median(), s.min(), s.max());
        }
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor();
        return out;
    }
}
