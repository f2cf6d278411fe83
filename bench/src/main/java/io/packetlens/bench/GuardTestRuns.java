package io.packetlens.bench;

import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.XdpAction;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.guard.GuardOptions;
import io.packetlens.guard.GuardProgram;
import io.packetlens.guard.rules.Action;
import io.packetlens.guard.rules.Cidr;
import io.packetlens.guard.rules.FragmentPolicy;
import io.packetlens.guard.rules.Rule;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.packet.Frame;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.FutureTask;

/**
 * The guard benchmark's second part: the guard's XDP entry point run with BPF_PROG_TEST_RUN (the kernel's mean ns per
 * run over {@code repeat} runs) on one packet whose source matches a deny rule's prefix list and one whose source
 * matches none, with 10, 1,000 and 100,000 random source prefixes (half /24s, half /32s, anywhere in 1.0.0.0 -
 * 223.255.255.255, seeded), next to an empty ruleset; plus the flood's own two kinds of packet under the flood's
 * ruleset. Each program is loaded once and the rounds alternate between them, so load from elsewhere hits all alike.
 * Every run's verdict is checked: a case whose packet got the wrong verdict fails the benchmark.
 */
final class GuardTestRuns {
    /** One case: a program, a frame and the verdict it must get. */
    record Case(String ruleset, String packet, BpfProgram program, byte[] frame, XdpAction verdict) {}

    /** One case's ns per packet, one value per round. */
    record Timing(String ruleset, String packet, double[] ns) {
        Samples samples() {
            return Samples.of(ns);
        }
    }

    private GuardTestRuns() {}

    /** {@code n} distinct random /24s and /32s (alternating), seeded by {@code n}. */
    static List<Cidr> randomPrefixes(int n) {
        Random rnd = new Random(0x9e3779b9L + n);
        Set<Long> seen = new HashSet<>();
        List<Cidr> out = new ArrayList<>(n);
        while (out.size() < n) {
            int len = out.size() % 2 == 0 ? 24 : 32;
            // 1.0.0.0 .. 223.255.255.255: unicast, not 0/8
            long addr = 0x01000000L + (rnd.nextLong() & 0xffffffffL) % (0xe0000000L - 0x01000000L);
            if (len == 24) addr &= 0xffffff00L;
            if (seen.add(addr << 6 | len)) out.add(new Cidr(v4(addr), len));
        }
        return out;
    }

    static InetAddress v4(long a) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes always make an address
        }
    }

    static long toLong(InetAddress a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xffL) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** An address inside the first prefix of the list (its .77 for a /24). */
    static InetAddress inside(List<Cidr> prefixes) {
        Cidr c = prefixes.getFirst();
        return c.prefix() == 32 ? c.address() : v4(toLong(c.address()) | 77);
    }

    /** A random address no prefix of the list contains. */
    static InetAddress outside(List<Cidr> prefixes, long seed) {
        Set<Long> p24 = new HashSet<>(), p32 = new HashSet<>();
        for (Cidr c : prefixes) (c.prefix() == 24 ? p24 : p32).add(toLong(c.address()));
        Random rnd = new Random(seed);
        while (true) {
            long a = 0x01000000L + (rnd.nextLong() & 0xffffffffL) % (0xe0000000L - 0x01000000L);
            if (!p24.contains(a & 0xffffff00L) && !p32.contains(a)) return v4(a);
        }
    }

    /** A deny rule for UDP from every prefix of the list; everything else allowed. */
    static RuleSet blocklist(List<Cidr> prefixes) {
        Rule deny = new Rule("blocklist", 10, Action.DENY, prefixes, List.of(), Set.of(17), List.of(), List.of(), null, null, -1, Set.of(), null, -1);
        return new RuleSet(List.of(deny), Action.ALLOW, Map.of(), FragmentPolicy.DEFAULT, false);
    }

    static byte[] udpFrom(InetAddress src) {
        return Frame.ethernet().ipv4(src, InetAddress.ofLiteral("10.199.0.2")).udp(40000, 19410).payload(18).build();
    }

    /**
     * Loads the programs, runs every case {@code rounds} times (interleaved), and returns the timings in case order.
     *
     * @param prefixCounts  the prefix list sizes (the empty ruleset comes first)
     * @param floodRules    the flood's rules file, for its own two packets
     */
    static List<Timing> run(List<Integer> prefixCounts, String floodRules, String udpFloodSource, String synFloodSource,
                            int repeat, int rounds, int cpu, PrintStream log) throws Exception {
        List<GuardProgram> loaded = new ArrayList<>();
        List<Case> cases = new ArrayList<>();
        try {
            Map<String, RuleSet> sets = new LinkedHashMap<>();
            Map<String, byte[][]> frames = new LinkedHashMap<>();
            List<Cidr> largest = randomPrefixes(prefixCounts.stream().mapToInt(Integer::intValue).max().orElse(10));
            sets.put("empty ruleset (default allow)", RuleSet.allowAll());
            frames.put("empty ruleset (default allow)", new byte[][] {udpFrom(inside(largest)), udpFrom(outside(largest, 1))});
            for (int n : prefixCounts) {
                List<Cidr> p = randomPrefixes(n);
                String name = String.format(Locale.ROOT, "deny UDP from %,d source prefixes", n);
                sets.put(name, blocklist(p));
                frames.put(name, new byte[][] {udpFrom(inside(p)), udpFrom(outside(p, n))});
            }
            for (var e : sets.entrySet()) {
                long t0 = System.nanoTime();
                GuardProgram g = GuardProgram.load(e.getValue(), GuardOptions.unpinned());
                loaded.add(g);
                log.printf(Locale.ROOT, "bench-guard: test-run: loaded '%s' in %.1f s%n", e.getKey(), (System.nanoTime() - t0) / 1e9);
                BpfProgram xdp = g.program(GuardProgram.Hook.XDP);
                boolean empty = e.getValue().rules().isEmpty();
                byte[][] f = frames.get(e.getKey());
                cases.add(new Case(e.getKey(), "matching source (inside a listed prefix)", xdp, f[0], empty ? XdpAction.PASS : XdpAction.DROP));
                cases.add(new Case(e.getKey(), "non-matching source", xdp, f[1], XdpAction.PASS));
            }
            GuardProgram flood = GuardProgram.load(RulesReader.parse(floodRules), GuardOptions.unpinned());
            loaded.add(flood);
            BpfProgram fx = flood.program(GuardProgram.Hook.XDP);
            cases.add(new Case("the flood's rules", "UDP from the denied prefix", fx, udpFrom(InetAddress.ofLiteral(udpFloodSource)), XdpAction.DROP));
            byte[] syn = Frame.ethernet().ipv4(InetAddress.ofLiteral(synFloodSource), InetAddress.ofLiteral("10.199.0.2"))
                    .tcp(40000, 19400).tcpFlags(0x02).build();
            // the first runs are within the source's burst; the verdict checked is the one that the flood's SYNs get
            cases.add(new Case("the flood's rules", "SYN of a source over its limit", fx, syn, XdpAction.DROP));

            double[][] ns = new double[cases.size()][rounds];
            FutureTask<Void> task = new FutureTask<>(() -> {
                Cpus.pinCurrentThread(cpu);
                for (Case c : cases) c.program().testRun(TestRun.of(c.frame()).repeat(Math.max(1, repeat / 10))); // warm-up
                for (int r = 0; r < rounds; r++) {
                    for (int i = 0; i < cases.size(); i++) {
                        Case c = cases.get(i);
                        TestRun.Result res = c.program().testRun(TestRun.of(c.frame()).repeat(repeat));
                        if (res.xdpAction() != c.verdict()) {
                            throw new IllegalStateException(c.ruleset() + ", " + c.packet() + ": verdict " + res.xdpAction() + ", expected " + c.verdict());
                        }
                        ns[i][r] = res.durationNanos();
                    }
                    log.printf("bench-guard: test-run round %d/%d done%n", r + 1, rounds);
                }
                return null;
            });
            Thread.ofPlatform().start(task).join();
            task.get();
            List<Timing> out = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) out.add(new Timing(cases.get(i).ruleset(), cases.get(i).packet(), ns[i]));
            return out;
        } finally {
            for (GuardProgram g : loaded) g.close();
        }
    }
}
