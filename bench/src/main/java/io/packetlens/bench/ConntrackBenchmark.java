package io.packetlens.bench;

import io.packetlens.conntrack.ConntrackConfig;
import io.packetlens.conntrack.ConntrackLayout;
import io.packetlens.conntrack.ConntrackProgram;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.ebpf.info.BpfStats;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.packet.SourceFrames;
import io.packetlens.trafficgen.InterfaceMac;
import io.packetlens.trafficgen.LiveFrameGenerator;
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
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Benchmark (a command, not a test) of packetlens conntrack against the kernel's nf_conntrack (docs/BENCHMARKS.md,
 * "Conntrack"). Two parts, each at 10,000 and at 1,000,000 tracked connections (UDP flows: {@code sources x ports}
 * distinct 5-tuples):
 * <ul>
 *   <li><b>test-run:</b> the tracker's XDP entry point by BPF_PROG_TEST_RUN, once per frame (the kernel times each run)
 *       over random flows of a table already holding all of them, so every run is a lookup and an update of an entry
 *       that is not in the cache, as in a real table;</li>
 *   <li><b>lab:</b> the flows sent without end by the in-kernel generator (xdp_frames into the veth pair, as from a
 *       NIC) to b, which tracks them with packetlens at TC ingress + egress, with packetlens at XDP, with nf_conntrack
 *       (an nftables rule on {@code ct state} in b's namespace turns it on there), or not at all (the reference). Per
 *       variant: packets b received per second, softirq CPU (all CPUs, /proc/stat), softirq ns per packet and the
 *       tracking's part of it (minus the reference's), the generator's rate against the reference's, and for
 *       packetlens its program's own ns per run from the kernel's BPF statistics.</li>
 * </ul>
 * Every table is warmed with every flow before a window is measured. nf_conntrack's limit and hash size
 * (net.netfilter.nf_conntrack_max / _buckets, global) are raised for the run and put back after.
 */
@Command(name = "bench-conntrack", mixinStandardHelpOptions = true, sortOptions = false,
        description = "packetlens conntrack vs nf_conntrack: ns per packet at 10,000 and 1,000,000 connections, by test-run and in the lab. Needs root.")
public final class ConntrackBenchmark implements Callable<Integer> {
    @Option(names = "--connections", split = ",", defaultValue = "10000,1000000", description = "Tracked connections per case (default: ${DEFAULT-VALUE}).")
    List<Integer> connections;
    @Option(names = "--seconds", defaultValue = "10", description = "Length of each measured lab window (default: ${DEFAULT-VALUE}).")
    int seconds;
    @Option(names = "--rounds", defaultValue = "3", description = "Rounds through every lab variant (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--variants", split = ",", defaultValue = "none,packetlens-tc,packetlens-xdp,nf-conntrack",
            description = "Lab variants (default: ${DEFAULT-VALUE}).")
    List<String> variants;
    @Option(names = "--gen-cpu", defaultValue = "0", description = "CPU of the generator (default: ${DEFAULT-VALUE}).")
    int genCpu;
    @Option(names = "--samples", defaultValue = "200000", description = "Test-runs measured per case and round (default: ${DEFAULT-VALUE}).")
    int samples;
    @Option(names = "--test-rounds", defaultValue = "5", description = "Test-run rounds (default: ${DEFAULT-VALUE}).")
    int testRounds;
    @Option(names = "--skip-lab", description = "Only the test-run part.")
    boolean skipLab;
    @Option(names = "--skip-test-run", description = "Only the lab part.")
    boolean skipTestRun;

    private static final String FIRST_SOURCE = "10.196.0.0";
    private static final int MAX_SOURCES = 65_536;
    private static final int FRAME = 60; // 64 bytes on the wire with the FCS
    private static final int PORT = 19_470;
    private static final Path CT_MAX = Path.of("/proc/sys/net/netfilter/nf_conntrack_max");
    private static final Path CT_BUCKETS = Path.of("/proc/sys/net/netfilter/nf_conntrack_buckets");

    /** One lab variant's measurements in one round. */
    record Round(double offeredPps, double receivedPps, double softirqCpu, double programNs) {
        double softirqNsPerPacket() {
            return receivedPps > 0 ? softirqCpu * 1e9 / receivedPps : Double.NaN;
        }
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new ConntrackBenchmark());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("bench-conntrack: " + e.getMessage());
            if (!(e instanceof BpfException || e instanceof IllegalStateException)) e.printStackTrace(cmd.getErr());
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        for (String v : variants) {
            if (!List.of("none", "packetlens-tc", "packetlens-xdp", "nf-conntrack").contains(v)) {
                throw new IllegalStateException("unknown variant '" + v + "' (none, packetlens-tc, packetlens-xdp, nf-conntrack)");
            }
        }
        for (int n : connections) {
            if (n < 1 || n > MAX_SOURCES * 64) throw new IllegalStateException("connections must be 1.." + MAX_SOURCES * 64 + ", got " + n);
        }
        Machine machine = Machine.describe(new Bpftool("bpftool"));
        System.out.println("machine: kernel " + machine.kernel() + ", " + machine.cpuDescription() + ", " + machine.memory() + ", load "
                + Files.readString(Path.of("/proc/loadavg")).strip());
        if (!skipTestRun) testRuns();
        if (!skipLab) lab();
        return 0;
    }

    /** The flows of a case: {@code n} distinct UDP 5-tuples (sources x ports) to b. */
    private static SourceFrames flows(int n, byte[] srcMac, byte[] dstMac, String to) {
        int sources = Math.min(n, MAX_SOURCES);
        int ports = (n + sources - 1) / sources;
        return new SourceFrames(SourceFrames.Kind.UDP, FRAME, srcMac, dstMac, (Inet4Address) InetAddress.ofLiteral(FIRST_SOURCE),
                sources, ports, (Inet4Address) InetAddress.ofLiteral(to), PORT);
    }

    private static ConntrackConfig config(int n) {
        // room for every flow with a quarter to spare, as a table sized for its load would have
        return ConntrackConfig.defaults().tableSize(Math.max(ConntrackConfig.DEFAULT_TABLE_SIZE, n + n / 4));
    }

    // ---- test-run ----

    private void testRuns() {
        System.out.printf(Locale.ROOT, "%ntest-run: ct_xdp once per frame (kernel-timed), %,d random flows of the table per round, %d rounds%n",
                samples, testRounds);
        System.out.println("| connections | ns per packet (median of rounds) | rounds |");
        System.out.println("|---:|---:|---|");
        byte[] mac = {2, 0, 0, 0, 0, 1};
        for (int n : connections) {
            SourceFrames f = flows(n, mac, mac, "10.199.0.2");
            try (ConntrackProgram ct = ConntrackProgram.load(config(n))) {
                BpfProgram p = ct.object().program(ConntrackLayout.XDP);
                for (int i = 0; i < n; i++) p.testRun(TestRun.of(f.frame(i)));
                int held = ct.entries();
                if (held != n) throw new IllegalStateException("the table holds " + held + " connections, expected " + n);
                SplittableRandom rnd = new SplittableRandom(n);
                List<Double> perRound = new ArrayList<>();
                for (int r = 0; r < testRounds; r++) {
                    long ns = 0;
                    for (int s = 0; s < samples; s++) ns += p.testRun(TestRun.of(f.frame(rnd.nextInt(n)))).durationNanos();
                    perRound.add((double) ns / samples);
                }
                System.out.printf(Locale.ROOT, "| %,d | %.1f | %s |%n", n, median(perRound), fmt(perRound));
            }
        }
    }

    // ---- lab ----

    private void lab() throws Exception {
        long savedMax = Long.parseLong(readSysctl(CT_MAX));
        long savedBuckets = Long.parseLong(readSysctl(CT_BUCKETS));
        int largest = connections.stream().mapToInt(Integer::intValue).max().orElse(0);
        try (Lab lab = Lab.create()) {
            sysctl("net.netfilter.nf_conntrack_max", Math.max(savedMax, 2L * largest));
            sysctl("net.netfilter.nf_conntrack_buckets", Math.max(savedBuckets, Integer.highestOneBit(Math.max(1, largest)) * 2L));
            Host a = lab.a(), b = lab.b();
            b.exec("ip", "route", "add", "10.192.0.0/11", "dev", b.ifname());
            // NAPI and GRO on the receiving veth, as a NIC driver has them; xdp_frames need NAPI to land at all
            b.exec("ethtool", "-K", b.ifname(), "gro", "on");
            System.out.printf(Locale.ROOT, "%nlab: %d-byte UDP frames from the in-kernel generator on CPU %d, windows of %d s after a warm-up "
                    + "through every flow, %d rounds; nf_conntrack_max %s, buckets %s%n", FRAME + 4, genCpu, seconds, rounds,
                    readSysctl(CT_MAX), readSysctl(CT_BUCKETS));
            for (int n : connections) {
                SourceFrames f = flows(n, InterfaceMac.parse(a.mac()), InterfaceMac.parse(b.mac()), b.ipv4());
                System.out.printf(Locale.ROOT, "%n%,d connections (%,d sources x %d ports):%n", n, f.frames() / f.ports(), f.ports());
                Map<String, List<Round>> results = new LinkedHashMap<>();
                for (String v : variants) results.put(v, new ArrayList<>());
                try (BpfStats stats = BpfStats.enable()) {
                    for (int r = 0; r < rounds; r++) {
                        for (String v : variants) {
                            Round round = measure(a, b, f, v, n);
                            results.get(v).add(round);
                            System.out.printf(Locale.ROOT, "  round %d %-15s offered %,10.0f pps, received %,10.0f pps, softirq %.2f CPU, %6.1f ns/packet%s%n",
                                    r + 1, v, round.offeredPps(), round.receivedPps(), round.softirqCpu(), round.softirqNsPerPacket(),
                                    Double.isNaN(round.programNs()) ? "" : String.format(Locale.ROOT, ", program %.1f ns/run", round.programNs()));
                        }
                    }
                }
                report(results);
            }
        } finally {
            sysctl("net.netfilter.nf_conntrack_buckets", savedBuckets);
            sysctl("net.netfilter.nf_conntrack_max", savedMax);
        }
    }

    /** One window of variant {@code v}: tracker set up, every flow sent once, then the measured window. */
    private Round measure(Host a, Host b, SourceFrames flows, String v, int n) throws Exception {
        ConntrackProgram ct = null;
        boolean nft = false;
        try {
            switch (v) {
                case "packetlens-tc", "packetlens-xdp" -> {
                    ct = ConntrackProgram.load(config(n));
                    ConntrackProgram c = ct;
                    b.run(() -> {
                        if (v.equals("packetlens-tc")) c.attachTc(b.ifname());
                        else c.attachXdp(b.ifname(), XdpMode.DRIVER);
                    });
                }
                case "nf-conntrack" -> {
                    Path rules = Files.createTempFile("pl-ctbench", ".nft");
                    try {
                        // a ct expression in the namespace's ruleset is what turns nf_conntrack on there
                        Files.writeString(rules, "table inet pl_ctbench {\n  chain pre {\n    type filter hook prerouting priority 0; policy accept;\n"
                                + "    ct state new counter\n  }\n}\n");
                        b.exec("nft", "-f", rules.toString());
                    } finally {
                        Files.deleteIfExists(rules);
                    }
                    nft = true;
                }
                default -> { }
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread gen = Thread.ofPlatform().name("bench-conntrack-gen").start(() -> {
                try {
                    a.call(() -> {
                        Cpus.pinCurrentThread(genCpu);
                        try (LiveFrameGenerator g = LiveFrameGenerator.open(a.ifindex(), List.of(flows), List.of(1))) {
                            g.run(Long.MAX_VALUE, stop::get);
                        }
                        return null;
                    });
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            try {
                // warm-up: every flow through the tracker at least once (entries made), then the window
                long warm0 = b.linkStats().rxPackets();
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (b.linkStats().rxPackets() - warm0 < 2L * flows.frames() + 1_000_000 && System.nanoTime() < deadline) {
                    check(failed);
                    Thread.sleep(200);
                }
                check(failed);
                BpfProgram prog = ct == null ? null : ct.object().program(v.equals("packetlens-tc") ? ConntrackLayout.TC_INGRESS : ConntrackLayout.XDP);
                long[] ps0 = prog == null ? null : GuardFirewalls.runStats(prog);
                long tx0 = GuardFirewalls.ethtoolSum(a, a.ifname(), "tx_queue_\\d+_xdp_xmit");
                long rx0 = b.linkStats().rxPackets();
                CpuTicks[] cpu0 = CpuTicks.online();
                long t0 = System.nanoTime();
                Thread.sleep(seconds * 1000L);
                CpuTicks[] cpu1 = CpuTicks.online();
                long t1 = System.nanoTime();
                long rx1 = b.linkStats().rxPackets();
                long tx1 = GuardFirewalls.ethtoolSum(a, a.ifname(), "tx_queue_\\d+_xdp_xmit");
                long[] ps1 = prog == null ? null : GuardFirewalls.runStats(prog);
                check(failed);
                double secs = (t1 - t0) / 1e9;
                long softirq = 0;
                for (int i = 0; i < cpu1.length; i++) softirq += cpu1[i].minus(cpu0[i]).softirq();
                double programNs = ps1 == null || ps1[1] == ps0[1] ? Double.NaN : (double) (ps1[0] - ps0[0]) / (ps1[1] - ps0[1]);
                if (ct != null) {
                    int held = ct.entries();
                    if (held < n) throw new IllegalStateException(v + " holds " + held + " connections, expected " + n);
                } else if (nft) {
                    long held = Long.parseLong(b.exec("sh", "-c", "conntrack -C").strip());
                    if (held < n) throw new IllegalStateException("nf_conntrack holds " + held + " connections in b, expected " + n);
                }
                return new Round((tx1 - tx0) / secs, (rx1 - rx0) / secs, softirq / CpuTicks.HZ / secs, programNs);
            } finally {
                stop.set(true);
                gen.join();
            }
        } finally {
            if (ct != null) ct.close();
            if (nft) {
                b.exec("nft", "delete", "table", "inet", "pl_ctbench");
                b.exec("conntrack", "-F");
            }
        }
    }

    private void report(Map<String, List<Round>> results) {
        double refNs = median(results.getOrDefault("none", List.of()).stream().map(Round::softirqNsPerPacket).toList());
        double refPps = median(results.getOrDefault("none", List.of()).stream().map(Round::offeredPps).toList());
        System.out.println();
        System.out.println("| variant | offered (pps) | received (pps) | softirq (CPUs) | softirq ns per packet | tracking's ns per packet "
                + "(minus no tracking) | generator vs no tracking | program ns per run (BPF stats) |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (var e : results.entrySet()) {
            List<Round> rs = e.getValue();
            double ns = median(rs.stream().map(Round::softirqNsPerPacket).toList());
            double off = median(rs.stream().map(Round::offeredPps).toList());
            double prog = median(rs.stream().map(Round::programNs).filter(d -> !Double.isNaN(d)).toList());
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %.2f | %.1f | %s | %s | %s |%n", e.getKey(), off,
                    median(rs.stream().map(Round::receivedPps).toList()), median(rs.stream().map(Round::softirqCpu).toList()), ns,
                    e.getKey().equals("none") || Double.isNaN(refNs) ? "-" : String.format(Locale.ROOT, "%.1f", ns - refNs),
                    e.getKey().equals("none") || Double.isNaN(refPps) ? "-" : String.format(Locale.ROOT, "%.2fx slower", refPps / off),
                    Double.isNaN(prog) ? "-" : String.format(Locale.ROOT, "%.1f", prog));
        }
    }

    /**
     * A numeric sysctl's value. Not by Files.readString: for a file of size 0 it reads one byte first, and a numeric
     * sysctl answers a read at a later offset with end of file, so "262144" came back as "2".
     */
    private static String readSysctl(Path p) throws java.io.IOException {
        try (var in = Files.newInputStream(p)) {
            return new String(in.readAllBytes()).strip();
        }
    }

    /** Sets a sysctl by sysctl(8). */
    private static void sysctl(String key, long value) throws Exception {
        Process p = new ProcessBuilder("sysctl", "-qw", key + "=" + value).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("sysctl -w " + key + "=" + value + " failed: " + out.strip());
    }

    private static void check(AtomicReference<Throwable> failed) {
        Throwable t = failed.get();
        if (t != null) throw new IllegalStateException("the generator failed: " + t, t);
    }

    /** The median, or NaN for none (a variant without program statistics). */
    static double median(List<Double> xs) {
        return xs.isEmpty() ? Double.NaN : Samples.of(xs.stream().mapToDouble(Double::doubleValue).toArray()).median();
    }

    private static String fmt(List<Double> xs) {
        StringBuilder b = new StringBuilder();
        for (double x : xs) b.append(b.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", x));
        return b.toString();
    }
}
