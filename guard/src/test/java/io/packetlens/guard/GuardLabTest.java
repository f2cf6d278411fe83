package io.packetlens.guard;

import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.guard.rules.RuleSet;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.lab.Await;
import io.packetlens.lab.Bpffs;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.LinkStats;
import io.packetlens.packet.Frame;
import io.packetlens.packet.IpProtocol;
import io.packetlens.packet.PacketParser;
import io.packetlens.packet.ParsedPacket;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The guard on a real link: the program at XDP (or TC ingress) on b's veth0, real senders in a. Ports 19300-19349.
 * Every test cleans up its lab, pins and nftables table, also on failure.
 */
@KernelTest
class GuardLabTest {
    private static final String OTHER_V4 = "10.199.0.3"; // a second address on a: "another source"
    private Lab lab;
    private Host a, b;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        lab = Lab.create();
        a = lab.a();
        b = lab.b();
    }

    @AfterEach
    void tearDown() {
        for (AutoCloseable c : cleanup.reversed()) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort: the lab goes below
            }
        }
        lab.close();
    }

    private GuardProgram guard(String yaml, boolean tc) throws Exception {
        GuardProgram g = GuardProgram.load(RulesReader.parse(yaml), GuardOptions.unpinned());
        cleanup.add(g);
        b.run(() -> {
            if (tc) g.attachTc("veth0");
            else g.attachXdp("veth0", XdpMode.DRIVER);
        });
        return g;
    }

    /** Sends {@code count} datagrams of {@code size} bytes from a (from {@code from}, or a's address) to b:port; returns how many b's socket got. */
    private long udp(boolean v6, int port, int count, int size, String from) throws Exception {
        InetAddress to = InetAddress.ofLiteral(v6 ? b.ipv6() : b.ipv4());
        DatagramSocket rx = b.call(() -> {
            DatagramSocket s = new DatagramSocket(null);
            s.bind(new InetSocketAddress(to, port));
            s.setReceiveBufferSize(4 << 20);
            s.setSoTimeout(300);
            return s;
        });
        try (rx) {
            a.run(() -> {
                try (DatagramSocket tx = from == null ? new DatagramSocket() : new DatagramSocket(new InetSocketAddress(from, 0))) {
                    byte[] payload = new byte[size];
                    for (int i = 0; i < count; i++) tx.send(new DatagramPacket(payload, size, new InetSocketAddress(to, port)));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            long got = 0;
            byte[] buf = new byte[65536];
            while (true) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    rx.receive(p);
                    if (p.getLength() == size) got++;
                } catch (SocketTimeoutException quiet) {
                    return got;
                }
            }
        }
    }

    /** Connects from a (optionally from {@code from}) to b:port and moves {@code bytes}; false when it cannot connect. */
    private boolean tcp(boolean v6, int port, String from, int bytes) throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.ofLiteral(v6 ? b.ipv6() : b.ipv4()), port);
        ServerSocket listener = b.call(() -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(target, 8);
            s.setSoTimeout(3000);
            return s;
        });
        try (listener) {
            AtomicLong read = new AtomicLong();
            Thread server = Thread.ofPlatform().start(() -> {
                try (Socket s = listener.accept(); InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[65536];
                    for (int r; (r = in.read(buf)) > 0; ) read.addAndGet(r);
                } catch (IOException ignored) {
                    // no connection came: the caller sees read == 0
                }
            });
            boolean ok = a.call(() -> {
                try (Socket s = new Socket()) {
                    if (from != null) s.bind(new InetSocketAddress(from, 0));
                    s.connect(target, 1500);
                    s.getOutputStream().write(new byte[bytes]);
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
            server.join(5000);
            return ok && read.get() == bytes;
        }
    }

    /** Sends crafted frames from a's veth0 through an AF_PACKET socket. */
    private void sendFrames(List<byte[]> frames) throws Exception {
        a.run(() -> {
            try (NativeSocket s = NativeSocket.packet().bindToInterface(a.ifindex())) {
                for (byte[] f : frames) s.send(f);
            }
        });
    }

    private Frame eth() {
        return Frame.ethernet(a.mac(), b.mac());
    }

    @Test
    void cidrAndPortRulesAreEnforcedForIpv4Ipv6TcpUdpAndSctp() throws Exception {
        GuardProgram g = guard("""
                rules:
                  - {name: deny-v4-host, action: deny, source: [10.199.0.1/32], protocol: udp, destination-port: 19300}
                  - {name: deny-v6-net, action: deny, source: ["fd00:199::/64"], protocol: udp, destination-port: 19300}
                  - {name: tcp-range, action: deny, protocol: tcp, destination-port: [19301-19303]}
                  - {name: udp-range, action: deny, protocol: udp, destination-port: [19304-19306]}
                  - {name: sctp-range, action: deny, protocol: sctp, destination-port: [19307-19308]}
                """, false);
        assertThat(udp(false, 19300, 20, 100, null)).isZero();
        assertThat(udp(true, 19300, 20, 100, null)).isZero();
        assertThat(udp(false, 19309, 20, 100, null)).as("another port passes").isEqualTo(20);
        assertThat(g.ruleCounters().of("deny-v4-host").packets()).isEqualTo(20);
        assertThat(g.ruleCounters().of("deny-v6-net").packets()).isEqualTo(20);
        assertThat(tcp(false, 19302, null, 1000)).isFalse();
        assertThat(tcp(true, 19303, null, 1000)).isFalse();
        assertThat(tcp(false, 19310, null, 100_000)).isTrue();
        assertThat(g.ruleCounters().of("tcp-range").packets()).isGreaterThanOrEqualTo(2); // SYN and its retransmissions
        assertThat(udp(true, 19305, 10, 50, null)).isZero();
        assertThat(udp(false, 19306, 10, 50, null)).isZero();
        assertThat(g.ruleCounters().of("udp-range").packets()).isEqualTo(20);

        // SCTP (this kernel has no SCTP stack): crafted frames, counted on b by an AF_PACKET socket behind the guard
        NativeSocket tap = b.call(() -> NativeSocket.packet().bindToInterface(b.ifindex()).receiveTimeout(Duration.ofMillis(300)));
        cleanup.add(tap);
        List<byte[]> frames = new ArrayList<>();
        for (int port : new int[] {19306, 19307, 19308, 19309}) {
            for (int i = 0; i < 5; i++) frames.add(eth().ipv4(a.ipv4(), b.ipv4()).sctp(5000, port).verificationTag(1).payload(20).build());
            for (int i = 0; i < 5; i++) frames.add(eth().ipv6(a.ipv6(), b.ipv6()).sctp(5000, port).verificationTag(1).payload(20).build());
        }
        sendFrames(frames);
        Map<Integer, Integer> seen = new java.util.TreeMap<>();
        byte[] buf = new byte[2048];
        for (Optional<Integer> n; (n = tap.receive(buf)).isPresent(); ) {
            ParsedPacket p = PacketParser.parse(java.util.Arrays.copyOf(buf, n.get()));
            if (p.ok() && p.protocol() == IpProtocol.SCTP) seen.merge(p.destinationPort(), 1, Integer::sum);
        }
        assertThat(seen).isEqualTo(Map.of(19306, 10, 19309, 10));
        assertThat(g.ruleCounters().of("sctp-range").packets()).isEqualTo(20);
    }

    @Test
    void theTcIngressVariantEnforcesTheSameRules() throws Exception {
        GuardProgram g = guard("""
                rules:
                  - {name: deny-udp, action: deny, protocol: udp, destination-port: 19311}
                """, true);
        assertThat(udp(false, 19311, 15, 100, null)).isZero();
        assertThat(udp(true, 19312, 15, 100, null)).isEqualTo(15);
        assertThat(g.ruleCounters().of("deny-udp")).isEqualTo(new Count(15, 15 * (14 + 20 + 8 + 100)));
    }

    @Test
    void fragmentedDatagramsGetTheirFirstFragmentsVerdictAndTinyAndOverlappingOnesAreDropped() throws Exception {
        GuardProgram g = guard("""
                rules:
                  - {name: deny-udp, action: deny, protocol: udp, destination-port: 19313}
                """, false);
        // 4000-byte datagrams over a 1500-byte MTU: three fragments each, only the first carries the port
        assertThat(udp(false, 19313, 5, 4000, null)).as("denied port: nothing arrives").isZero();
        assertThat(udp(true, 19313, 5, 4000, null)).isZero();
        assertThat(g.ruleCounters().of("deny-udp").packets()).isEqualTo(10);
        Map<DropReason, Count> r = g.reasons();
        assertThat(r.get(DropReason.FRAGMENT_OF_DROPPED).packets()).isEqualTo(20);
        assertThat(udp(false, 19314, 5, 4000, null)).as("allowed port: reassembled by b").isEqualTo(5);
        assertThat(udp(true, 19314, 5, 4000, null)).isEqualTo(5);
        assertThat(g.reasons().get(DropReason.FRAGMENT_FOLLOW_PASSED).packets()).isEqualTo(20);

        // crafted: a tiny first fragment (8 bytes of TCP header) and its follower, an overlapping pair, to an open port
        String s = a.ipv4(), d = b.ipv4();
        List<byte[]> frames = List.of(
                eth().ipv4(s, d).identification(700).fragment(0, true).protocol(IpProtocol.TCP).payload(8).build(),
                eth().ipv4(s, d).identification(700).fragment(1, false).protocol(IpProtocol.TCP).payload(40).build(),
                eth().ipv4(s, d).identification(701).fragment(0, true).udp(5000, 19315).payload(24).build(),
                eth().ipv4(s, d).identification(701).fragment(2, false).protocol(IpProtocol.UDP).payload(16).build());
        Map<DropReason, Count> before = g.reasons();
        sendFrames(frames);
        Thread.sleep(100);
        Map<DropReason, Count> after = g.reasons();
        assertThat(after.get(DropReason.FRAGMENT_TINY).packets() - before.get(DropReason.FRAGMENT_TINY).packets()).isEqualTo(1);
        assertThat(after.get(DropReason.FRAGMENT_OF_DROPPED).packets() - before.get(DropReason.FRAGMENT_OF_DROPPED).packets()).isEqualTo(1);
        assertThat(after.get(DropReason.FRAGMENT_OVERLAP).packets() - before.get(DropReason.FRAGMENT_OVERLAP).packets()).isEqualTo(1);
        // what b's stack saw of them: only the overlap's first piece, which it can never complete
        assertThat(g.expire().fragments()).isZero(); // entries still live (30 s timeout)
    }

    @Test
    void aSynFloodFromOneSourceIsLimitedAndBannedWhileAnotherSourceConnectsAndTheBanExpires() throws Exception {
        a.exec("ip", "addr", "add", OTHER_V4 + "/32", "dev", "veth0");
        b.exec("ip", "neigh", "replace", OTHER_V4, "lladdr", a.mac(), "dev", "veth0", "nud", "permanent");
        b.exec("ip", "route", "add", OTHER_V4 + "/32", "dev", "veth0");
        GuardProgram g = guard("""
                rate-limits:
                  syn: {per: source, packets-per-second: 50, burst: 50, traffic: syn, ban: 5s}
                rules:
                  - {name: syn-limit, action: rate-limit, limit: syn, protocol: tcp, tcp-flags: {set: [syn], unset: [ack]}}
                """, false);
        Process flood = a.start("hping3", "-q", "-S", "-p", "19316", "-i", "u500", "-c", "4000", b.ipv4());
        try {
            Thread.sleep(300);
            assertThat(tcp(false, 19317, OTHER_V4, 200_000)).as("the other source's connection carries on during the flood").isTrue();
            assertThat(flood.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } finally {
            flood.destroyForcibly();
        }
        Map<DropReason, Count> r = g.reasons();
        assertThat(r.get(DropReason.RATE_LIMITED).packets()).isGreaterThan(0);
        assertThat(r.get(DropReason.BANNED).packets()).as("banned packets").isGreaterThan(1000);
        assertThat(r.get(DropReason.BANS_ADDED).packets()).isGreaterThan(0);
        assertThat(g.ruleCounters().of("syn-limit").packets()).isLessThan(4000); // the banned never reached the rule
        List<GuardProgram.Ban> bans = g.bans();
        assertThat(bans).extracting(GuardProgram.Ban::address).containsExactly(InetAddress.ofLiteral(a.ipv4()));
        assertThat(g.topDroppedSources(1).getFirst().address()).isEqualTo(InetAddress.ofLiteral(a.ipv4()));
        assertThat(tcp(false, 19318, null, 1000)).as("still banned").isFalse();
        Thread.sleep(bans.getFirst().remaining().toMillis() + 200);
        assertThat(g.bans()).isEmpty();
        assertThat(tcp(false, 19319, null, 1000)).as("the ban expired").isTrue();
        assertThat(g.expire().bans()).isEqualTo(1);
    }

    private static final String DRY = """
            rules:
              - {name: count-udp, action: count, protocol: udp}
              - {name: deny-port, action: deny, protocol: udp, destination-port: 19320}
            """;

    @Test
    void aDryRunCountsWhatEnforcingCountsAndDropsNothing() throws Exception {
        Map<String, Object> enforcing, dry;
        long gotEnforcing, gotDry;
        try (GuardProgram g = GuardProgram.load(RulesReader.parse(DRY), GuardOptions.unpinned())) {
            b.run(() -> g.attachXdp("veth0", XdpMode.DRIVER));
            gotEnforcing = udp(false, 19320, 100, 64, null) + udp(false, 19321, 50, 64, null);
            enforcing = counts(g);
        }
        try (GuardProgram g = GuardProgram.load(RulesReader.parse(DRY).dryRun(true), GuardOptions.unpinned())) {
            b.run(() -> g.attachXdp("veth0", XdpMode.DRIVER));
            gotDry = udp(false, 19320, 100, 64, null) + udp(false, 19321, 50, 64, null);
            dry = counts(g);
            assertThat(g.reasons().get(DropReason.DRY_RUN_PASSED).packets()).isEqualTo(100);
        }
        assertThat(gotEnforcing).isEqualTo(50);
        assertThat(gotDry).isEqualTo(150);
        assertThat(dry).isEqualTo(enforcing);
        assertThat(enforcing.get("DROPPED")).isEqualTo(new Count(100, 100 * (14 + 20 + 8 + 64)));
    }

    private static Map<String, Object> counts(GuardProgram g) {
        Map<String, Object> m = new java.util.TreeMap<>();
        g.reasons().forEach((k, v) -> {
            if (k != DropReason.DRY_RUN_PASSED) m.put(k.name(), v);
        });
        g.ruleCounters().rules().forEach(r -> m.put("rule " + r.name(), r.count()));
        return m;
    }

    @Test
    void everyPacketOfAContinuousStreamIsHandledByExactlyOneOfManySwappedRulesets() throws Exception {
        RuleSet even = RulesReader.parse("""
                rules:
                  - {name: deny-a, action: deny, protocol: udp, destination-port: 19330}
                """);
        RuleSet odd = RulesReader.parse("""
                rules:
                  - {name: count-all, action: count}
                  - {name: deny-b, action: deny, protocol: udp, destination-port: 19331}
                """);
        GuardProgram g = guard("rules: []", false);
        long before = overAllGenerations(g.generations());
        LinkStats tx0 = a.linkStats();
        AtomicBoolean stop = new AtomicBoolean();
        InetSocketAddress[] targets = {new InetSocketAddress(b.ipv4(), 19330), new InetSocketAddress(b.ipv4(), 19331)};
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                a.run(() -> {
                    try (DatagramSocket tx = new DatagramSocket()) {
                        byte[] p = new byte[32];
                        for (int i = 0; !stop.get(); i++) tx.send(new DatagramPacket(p, p.length, targets[i & 1]));
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        int swaps = 60;
        for (int i = 0; i < swaps; i++) g.install(i % 2 == 0 ? even : odd);
        stop.set(true);
        sender.join();
        Await.until(Duration.ofSeconds(5), () -> overAllGenerations(g.generations()) - before >= a.linkStats().minus(tx0).txPackets());
        long sent = a.linkStats().minus(tx0).txPackets();
        Map<Long, Count> gens = g.generations();
        long handled = overAllGenerations(gens) - before;
        assertThat(gens).hasSize(swaps + 1);
        assertThat(handled).as("packets over all generations vs a's veth tx").isEqualTo(sent);
        assertThat(sent).isGreaterThan(10_000);
        assertThat(gens.values().stream().filter(c -> c.packets() > 0).count()).as("generations that saw traffic").isGreaterThan(swaps / 2);
    }

    private static long overAllGenerations(Map<Long, Count> generations) {
        return generations.values().stream().mapToLong(Count::packets).sum();
    }

    @Test
    void aRulesetThatDoesNotFitIsRefusedAndTheRulesInForceStay() throws Exception {
        GuardProgram g = guard("""
                rules:
                  - {name: deny-port, action: deny, protocol: udp, destination-port: 19332}
                """, false);
        StringBuilder big = new StringBuilder("rules:\n");
        for (int i = 0; i < 90; i++) big.append("  - {name: r").append(i).append(", action: deny, protocol: [tcp, udp, sctp], destination-port: ").append(20000 + i).append("}\n");
        long gen = g.generation();
        assertThatThrownBy(() -> g.install(RulesReader.parse(big.toString())))
                .isInstanceOf(GuardCompileException.class).hasMessageContaining("'r85'").hasMessageContaining("256 kernel rules");
        StringBuilder prefixes = new StringBuilder("rules:\n  - {name: many, action: deny, source: [");
        for (int i = 0; i < 5000; i++) prefixes.append(i == 0 ? "" : ", ").append("10.").append(i / 250).append('.').append(i % 250).append(".0/24");
        prefixes.append("]}\n");
        assertThatThrownBy(() -> g.install(RulesReader.parse(prefixes.toString())))
                .isInstanceOf(GuardCompileException.class).hasMessageContaining("5000 source prefixes").hasMessageContaining("holds 4096");
        assertThat(g.generation()).isEqualTo(gen);
        assertThat(udp(false, 19332, 10, 10, null)).isZero();
        assertThat(udp(false, 19333, 10, 10, null)).isEqualTo(10);
    }

    @Test
    void perRuleCountersMatchTheSendersNftablesCounters() throws Exception {
        GuardProgram g = guard("""
                rules:
                  - {name: count-it, action: count, protocol: udp, destination-port: 19340}
                  - {name: deny-it, action: deny, protocol: udp, destination-port: 19340, source: [10.199.0.0/24]}
                """, false);
        a.exec("nft", "add table inet pl_guard_cc");
        cleanup.add(() -> a.exec("nft", "delete table inet pl_guard_cc"));
        a.exec("nft", "add chain inet pl_guard_cc out { type filter hook output priority 0 ; }");
        a.exec("nft", "add rule inet pl_guard_cc out udp dport 19340 counter");
        for (int size : new int[] {10, 500, 1400}) udp(false, 19340, 100, size, null);
        Matcher m = Pattern.compile("counter packets (\\d+) bytes (\\d+)").matcher(a.exec("nft", "list table inet pl_guard_cc"));
        assertThat(m.find()).isTrue();
        long packets = Long.parseLong(m.group(1)), bytes = Long.parseLong(m.group(2));
        assertThat(packets).isEqualTo(300);
        // nftables counts IP bytes at output; the guard counts the frame: 14 more per packet
        assertThat(g.ruleCounters().of("count-it")).isEqualTo(new Count(packets, bytes + 14 * packets));
        assertThat(g.ruleCounters().of("deny-it")).isEqualTo(new Count(packets, bytes + 14 * packets));
        assertThat(g.reasons().get(DropReason.RULE)).isEqualTo(new Count(packets, bytes + 14 * packets));
    }

    @Test
    void pinnedLinksKeepFilteringAfterTheProcessLetsGoAndStopRemovesEverything() throws Exception {
        Path mount = Files.createTempDirectory("pl-guard-");
        Bpffs.mountPrivate(mount);
        cleanup.add(() -> {
            Bpffs.unmount(mount);
            Files.deleteIfExists(mount);
        });
        Path dir = mount.resolve("guard");
        String yaml = """
                rules:
                  - {name: deny-port, action: deny, protocol: udp, destination-port: 19341}
                """;
        GuardProgram first = GuardProgram.load(RulesReader.parse(yaml), GuardOptions.pinned(dir));
        // a failed attach leaves no link and no pin
        assertThatThrownBy(() -> b.run(() -> first.attachXdp("nosuch0", XdpMode.DRIVER))).hasMessageContaining("nosuch0");
        assertThat(first.links()).isEmpty();
        b.run(() -> first.attachXdp("veth0", XdpMode.DRIVER));
        first.close();
        assertThat(b.exec("ip", "-d", "link", "show", "veth0")).as("the pinned chain member outlives its program").contains("prog/xdp");
        assertThat(udp(false, 19341, 10, 10, null)).as("still filtering with no process holding it").isZero();
        try (GuardProgram second = GuardProgram.load(RulesReader.parse(yaml), GuardOptions.pinned(dir))) {
            assertThat(second.generation()).isEqualTo(2); // carried on from the pinned maps
            b.run(() -> second.attachXdp("veth0", XdpMode.DRIVER)); // takes the pinned link over
            assertThat(second.reasons().get(DropReason.RULE).packets()).isEqualTo(10);
            second.stop();
        }
        assertThat(dir).as("every pin removed").doesNotExist();
        assertThat(b.exec("ip", "-d", "link", "show", "veth0")).as("the chain went with its last member").doesNotContain("prog/xdp");
        assertThat(udp(false, 19341, 10, 10, null)).as("stopped: passes").isEqualTo(10);
    }
}
