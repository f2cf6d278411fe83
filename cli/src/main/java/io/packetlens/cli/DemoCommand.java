package io.packetlens.cli;

import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.LinkStats;
import io.packetlens.lab.Traffic;
import io.packetlens.programs.PacketCounter;
import io.packetlens.programs.PacketCounter.Count;
import io.packetlens.programs.PacketCounter.Protocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code packetlens demo}: builds a two-namespace lab joined by a veth pair, attaches the
 * XDP counter to the receiving end, sends TCP, UDP and ICMP over IPv4 and IPv6 through it,
 * prints the counts every second, and at the end checks them against what the sender's
 * kernel says it sent (veth tx counters and /proc/net/snmp). Everything is removed on exit.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run packetlens on a built-in namespace lab with generated traffic and check its counts.")
final class DemoCommand implements Callable<Integer> {
    static final String LAB_PREFIX = "pl-demo";
    private static final int ETH_HLEN = 14;

    @Option(names = "--duration", defaultValue = "10", description = "seconds of traffic (default ${DEFAULT-VALUE}); 0 = until Ctrl-C")
    int duration;

    @Option(names = "--mode", defaultValue = "auto", description = "XDP mode: auto, driver or generic")
    String mode;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        XdpMode m = switch (mode.toLowerCase()) {
            case "auto" -> XdpMode.AUTO;
            case "driver", "native" -> XdpMode.DRIVER;
            case "generic", "skb" -> XdpMode.GENERIC;
            default -> throw new UserException("--mode must be auto, driver or generic, not '" + mode + "'");
        };
        if (duration < 0) throw new UserException("--duration must be >= 0");
        Privileges.requireRoot("demo");
        try (Shutdown shutdown = Shutdown.install();
             Lab lab = shutdown.register(Lab.create(LAB_PREFIX));
             PacketCounter counter = shutdown.register(PacketCounter.load())) {
            Host a = lab.a(), b = lab.b();
            out.printf("packetlens demo: lab %s -> %s over veth (%s/%s -> %s/%s)%n",
                    a.namespace(), b.namespace(), a.ipv4(), a.ipv6(), b.ipv4(), b.ipv6());
            LinkStats txBefore = a.linkStats();
            Map<String, Long> snmpBefore = a.snmp();
            XdpLink link = b.call(() -> counter.attach(b.ifname(), m));
            out.printf("XDP counter attached to %s in %s (%s mode, program id %d); traffic for %s%n",
                    b.ifname(), b.namespace(), link.mode().name().toLowerCase(), counter.program().id(),
                    duration == 0 ? "ever (Ctrl-C to stop)" : duration + " s");

            TrafficLoop traffic = new TrafficLoop(a, b);
            Thread sender = Thread.ofPlatform().name("demo-traffic").start(traffic);
            Map<Protocol, Count> prev = counter.read();
            long start = System.nanoTime(), last = start;
            while (!shutdown.requested() && (duration == 0 || System.nanoTime() - start < duration * 1_000_000_000L)) {
                shutdown.sleep(1000);
                if (traffic.failure.get() != null) break;
                long now = System.nanoTime();
                Map<Protocol, Count> cur = counter.read();
                out.printf("%n[%s in %s, %ds]%n", b.ifname(), b.namespace(), (now - start) / 1_000_000_000L);
                out.print(CountTable.render(cur, prev, (now - last) / 1e9));
                out.flush();
                prev = cur;
                last = now;
            }
            traffic.stop();
            sender.join(10_000);
            if (traffic.failure.get() != null && !shutdown.requested()) {
                throw new UserException("traffic generation failed: " + traffic.failure.get());
            }
            if (shutdown.requested()) {
                // the lab is being torn down by its own shutdown hook: report what was counted, skip the check
                out.printf("%ninterrupted; counts at XDP on %s:%n%s", b.ifname(), CountTable.render(counter.read(), null, 0));
                out.println("cleaning up: detaching XDP, removing namespaces " + a.namespace() + " and " + b.namespace());
                return 0;
            }
            Thread.sleep(300); // let the last segments, ACKs and echo requests cross the veth
            Map<Protocol, Count> fin = counter.read();
            LinkStats tx = a.linkStats().minus(txBefore);
            Map<String, Long> snmpAfter = a.snmp();
            out.printf("%nfinal counts at XDP on %s:%n%s", b.ifname(), CountTable.render(fin, null, 0));
            boolean ok = verify(fin, tx, snmpBefore, snmpAfter, traffic, link.mode() == XdpMode.GENERIC);
            out.println(ok ? "demo: counts match the traffic sent" : "demo: MISMATCH between counts and traffic sent");
            out.println("cleaning up: detaching XDP, removing namespaces " + a.namespace() + " and " + b.namespace());
            return ok || shutdown.requested() ? 0 : 1;
        }
    }

    /** Compares the counter with the sender's own kernel counters; every line says what was compared. */
    private boolean verify(Map<Protocol, Count> c, LinkStats tx, Map<String, Long> s0, Map<String, Long> s1, TrafficLoop t,
                           boolean generic) {
        out.println("\ncheck against the sender (" + LAB_PREFIX + "-a):");
        boolean ok = true;
        Count total = PacketCounter.total(c);
        ok &= line("all packets (veth tx_packets)", tx.txPackets(), total.packets());
        // UDP frame sizes are known exactly: Ethernet + IP + UDP headers + the payload the generator chose
        ok &= line("IPv4 UDP bytes (frames generated)", t.udp4FrameBytes, c.get(Protocol.IPV4_UDP).bytes());
        ok &= line("IPv6 UDP bytes (frames generated)", t.udp6FrameBytes, c.get(Protocol.IPV6_UDP).bytes());
        ok &= line("IPv4 UDP (Udp OutDatagrams)", delta(s0, s1, "Udp.OutDatagrams"), c.get(Protocol.IPV4_UDP).packets());
        ok &= line("IPv6 UDP (Udp6OutDatagrams)", delta(s0, s1, "Udp6OutDatagrams"), c.get(Protocol.IPV6_UDP).packets());
        ok &= line("ICMP (Icmp OutMsgs)", delta(s0, s1, "Icmp.OutMsgs"), c.get(Protocol.IPV4_ICMP).packets());
        ok &= line("ICMPv6 (Icmp6OutMsgs)", delta(s0, s1, "Icmp6OutMsgs"), c.get(Protocol.IPV6_ICMP).packets());
        long tcp = c.get(Protocol.IPV4_TCP).packets() + c.get(Protocol.IPV6_TCP).packets();
        if (generic) {
            // generic XDP runs after the sender's TSO/GSO: one super-packet carries many TCP segments
            out.printf("  %-38s %s%n", "TCP segments", "not comparable in generic mode (GSO super-packets); " + tcp + " skbs counted");
        } else {
            ok &= line("TCP v4+v6 (Tcp OutSegs+RetransSegs)", delta(s0, s1, "Tcp.OutSegs") + delta(s0, s1, "Tcp.RetransSegs"), tcp);
        }
        out.printf("generated: %d UDP datagrams, %d echo requests, %d TCP bytes, in %d rounds%n",
                t.udp, t.pings, t.tcpBytes, t.rounds);
        return ok;
    }

    private boolean line(String what, long expected, long counted) {
        boolean ok = expected == counted;
        out.printf("  %-38s sent %10d  counted %10d  %s%n", what, expected, counted, ok ? "ok" : "MISMATCH");
        return ok;
    }

    private static long delta(Map<String, Long> s0, Map<String, Long> s1, String key) {
        return s1.getOrDefault(key, 0L) - s0.getOrDefault(key, 0L);
    }

    /** Rounds of mixed traffic from a to b until stopped. */
    static final class TrafficLoop implements Runnable {
        private final Host a, b;
        private volatile boolean stop;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        long udp, pings, tcpBytes, rounds, udp4FrameBytes, udp6FrameBytes;

        TrafficLoop(Host a, Host b) {
            this.a = a;
            this.b = b;
        }

        void stop() {
            stop = true;
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    for (boolean v6 : new boolean[] {false, true}) {
                        int payload = 64 + (int) (rounds % 7) * 100;
                        long n = Traffic.udp(a, b, v6, 200, payload).packets();
                        udp += n;
                        if (v6) udp6FrameBytes += n * (ETH_HLEN + 40 + 8 + payload);
                        else udp4FrameBytes += n * (ETH_HLEN + 20 + 8 + payload);
                        pings += Traffic.ping(a, b, v6, 3).packets();
                        tcpBytes += Traffic.tcp(a, b, v6, 256 * 1024).payloadBytes();
                    }
                    rounds++;
                    Thread.sleep(200);
                }
            } catch (Throwable e) {
                if (!stop) failure.set(e);
            }
        }
    }
}
