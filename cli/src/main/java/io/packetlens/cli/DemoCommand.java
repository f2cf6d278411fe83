package io.packetlens.cli;

import io.packetlens.agent.Agent;
import io.packetlens.agent.AgentConfig;
import io.packetlens.agent.AgentSnapshot;
import io.packetlens.agent.InterfaceSpec;
import io.packetlens.config.ConfigException;
import io.packetlens.config.ConfigValues;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.export.ExporterSettings;
import io.packetlens.export.ExporterSpec;
import io.packetlens.export.json.StdoutExporterFactory;
import io.packetlens.flow.Count;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.LinkStats;
import io.packetlens.lab.Traffic;
import io.packetlens.monitor.MonitorSnapshot;
import io.packetlens.monitor.TrafficLabels;
import io.packetlens.monitor.alert.AlertType;
import io.packetlens.monitor.config.MonitorConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code packetlens demo}: the flow monitor on a built-in lab. Two namespaces joined by a veth
 * pair (plus VLAN 100 on it), the flow program at XDP on the receiving end, varied traffic
 * (TCP, UDP, ICMP over IPv4 and IPv6, UDP on the VLAN, and now and then a small port scan that
 * trips an alert), the live top view and /metrics. At the end it drains the flow table and
 * checks what it accounted against what the sender's kernel says it sent. Everything is
 * removed on exit, also on Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the flow monitor on a built-in namespace lab with generated traffic, and check its counts.")
final class DemoCommand implements Callable<Integer> {
    static final String LAB_PREFIX = "pl-demo";
    private static final int ETH_HLEN = 14, VLAN_ID = 100, SCAN_PORTS = 60;

    @Option(names = "--duration", defaultValue = "10", description = "seconds of traffic (default ${DEFAULT-VALUE}); 0 = until Ctrl-C")
    int duration;

    @Option(names = "--mode", defaultValue = "auto", description = "XDP mode: auto, driver or generic")
    XdpMode mode;

    @Option(names = "--json", description = "print finished flows as JSON lines instead of the live view")
    boolean json;

    @Option(names = "--metrics", defaultValue = "127.0.0.1:9464", description = "serve /metrics on HOST:PORT (default ${DEFAULT-VALUE})")
    String metrics;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        XdpMode m = mode;
        if (duration < 0) throw new UserException("--duration must be >= 0");
        AgentConfig config;
        try {
            MonitorConfig flows = MonitorConfig.defaults().withXdpMode(m)
                    .withAlerts(List.of(new MonitorConfig.AlertRuleConfig(AlertType.PORT_SCAN, SCAN_PORTS - 10, Duration.ofSeconds(10))))
                    .resolvePollInterval(!json);
            config = AgentConfig.defaults().withFlows(flows).withMetrics(ConfigValues.resolvedAddress("--metrics", metrics, true));
            if (json) config = config.plusExporter(new ExporterSpec("stdout", "stdout", ExporterSettings.defaults(),
                    ctx -> StdoutExporterFactory.stdout(false, ctx)));
        } catch (ConfigException e) {
            throw new UserException(e.getMessage());
        }
        Privileges.requireRoot("demo");
        try (Shutdown shutdown = Shutdown.install();
             Lab lab = shutdown.register(Lab.create(LAB_PREFIX))) {
            Host a = lab.a(), b = lab.b();
            if (!json) {
                out.printf("packetlens demo: lab %s -> %s over veth (%s/%s -> %s/%s, plus VLAN %d tagged frames)%n",
                        a.namespace(), b.namespace(), a.ipv4(), a.ipv6(), b.ipv4(), b.ipv6(), VLAN_ID);
            }
            LinkStats txBefore = a.linkStats();
            Map<String, Long> snmpBefore = a.snmp();
            AgentConsole console = new AgentConsole(out, json, true, false, config.flows().view());
            Agent agent = shutdown.register(Agent.start(config.withInterfaces(List.of(new InterfaceSpec(b.ifname(), b.namespace()))), console));
            shutdown.whenRequested(agent::requestStop);
            console.attachedTo(agent);
            try (agent) {
                boolean generic = agent.monitor().program() != null && agent.monitor().program().links().stream().anyMatch(l -> l instanceof XdpLink x && x.mode() == XdpMode.GENERIC);
                if (!json) {
                    out.printf("flow program attached at XDP on %s in %s (%s mode); traffic for %s%n", b.ifname(), b.namespace(),
                            generic ? "generic" : "driver", duration == 0 ? "ever (Ctrl-C to stop)" : duration + " s");
                    out.println("metrics: http://" + config.metrics().getHostString() + ":" + agent.metricsPort() + "/metrics");
                }
                TrafficLoop traffic = new TrafficLoop(a, b, agent::requestStop);
                Thread sender = Thread.ofPlatform().name("demo-traffic").start(traffic);
                long end = duration == 0 ? System.nanoTime() + Long.MAX_VALUE / 2 : System.nanoTime() + Duration.ofSeconds(duration).toNanos();
                agent.runUntil(end);
                // stop the generator and let the last segments, ACKs and echo requests cross before the drain
                traffic.stop();
                sender.join(10_000);
                Thread.sleep(300);
                AgentSnapshot fin = agent.stop();
                console.summary(fin);
                if (shutdown.requested()) {
                    if (!json) out.println("interrupted: removing namespaces " + a.namespace() + " and " + b.namespace());
                    return 0;
                }
                if (traffic.failure.get() != null) throw new UserException("traffic generation failed: " + traffic.failure.get());
                LinkStats tx = a.linkStats().minus(txBefore);
                boolean ok = verify(fin.flows(), tx, snmpBefore, a.snmp(), traffic, generic);
                if (!json) {
                    out.println(ok ? "demo: counts match the traffic sent" : "demo: MISMATCH between counts and traffic sent");
                    out.println("cleaning up: detaching, removing namespaces " + a.namespace() + " and " + b.namespace());
                }
                return ok ? 0 : 1;
            }
        }
    }

    private static Count protocol(MonitorSnapshot s, String name) {
        Count c = Count.ZERO;
        for (Map.Entry<TrafficLabels, Count> e : s.traffic().entrySet()) {
            if (e.getKey().protocol().equals(name)) c = c.plus(e.getValue());
        }
        return c;
    }

    /** Compares what was accounted with the sender's own kernel counters; every line says what was compared. */
    private boolean verify(MonitorSnapshot s, LinkStats tx, Map<String, Long> s0, Map<String, Long> s1, TrafficLoop t,
                           boolean generic) {
        PrintStream o = json ? System.err : out;
        o.println("\ncheck against the sender (" + LAB_PREFIX + "-a):");
        boolean ok = true;
        ok &= line(o, "all packets (veth tx_packets)", tx.txPackets(), s.totals().allTraffic().packets());
        ok &= line(o, "UDP (Udp+Udp6 OutDatagrams + VLAN frames)", delta(s0, s1, "Udp.OutDatagrams") + delta(s0, s1, "Udp6OutDatagrams")
                + t.vlanUdp, protocol(s, "udp").packets());
        // UDP frame sizes are known exactly: Ethernet (+ VLAN tag) + IP + UDP headers + the payload chosen
        ok &= line(o, "UDP bytes (frames generated)", t.udpFrameBytes, protocol(s, "udp").bytes());
        ok &= line(o, "ICMP (Icmp OutMsgs)", delta(s0, s1, "Icmp.OutMsgs"), protocol(s, "icmp").packets());
        ok &= line(o, "ICMPv6 (Icmp6OutMsgs)", delta(s0, s1, "Icmp6OutMsgs"), protocol(s, "icmpv6").packets());
        long tcp = protocol(s, "tcp").packets();
        if (generic) {
            o.printf("  %-40s %s%n", "TCP segments", "not comparable in generic mode (GSO super-packets); " + tcp + " skbs counted");
        } else {
            ok &= line(o, "TCP (Tcp OutSegs + RetransSegs)", delta(s0, s1, "Tcp.OutSegs") + delta(s0, s1, "Tcp.RetransSegs"), tcp);
        }
        ok &= line(o, "flow table overflow (packets)", 0, s.totals().losses().tableFull().packets());
        o.printf("generated: %d UDP datagrams (%d on VLAN %d, %d in port scans), %d echo requests, %d TCP bytes, in %d rounds; %d alerts%n",
                t.udp, t.vlanUdp, VLAN_ID, t.scanUdp, t.pings, t.tcpBytes, t.rounds, s.alerts());
        return ok;
    }

    private static boolean line(PrintStream o, String what, long expected, long counted) {
        boolean ok = expected == counted;
        o.printf("  %-40s sent %10d  counted %10d  %s%n", what, expected, counted, ok ? "ok" : "MISMATCH");
        return ok;
    }

    private static long delta(Map<String, Long> s0, Map<String, Long> s1, String key) {
        return s1.getOrDefault(key, 0L) - s0.getOrDefault(key, 0L);
    }

    /** Rounds of mixed traffic from a to b until stopped. */
    static final class TrafficLoop implements Runnable {
        private final Host a, b;
        private final Runnable onFailure;
        private volatile boolean stop;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile long udp, vlanUdp, scanUdp, pings, tcpBytes, rounds, udpFrameBytes;

        TrafficLoop(Host a, Host b, Runnable onFailure) {
            this.a = a;
            this.b = b;
            this.onFailure = onFailure;
        }

        void stop() {
            stop = true;
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    int payload = 64 + (int) (rounds % 7) * 100;
                    for (boolean v6 : new boolean[] {false, true}) {
                        long n = Traffic.udp(a, b, v6, 200, payload).packets();
                        udp += n;
                        udpFrameBytes += n * (ETH_HLEN + (v6 ? 40 : 20) + 8 + payload);
                        pings += Traffic.ping(a, b, v6, 3).packets();
                        tcpBytes += Traffic.tcp(a, b, v6, 256 * 1024).payloadBytes();
                    }
                    int frameLength = VlanSender.send(a, b, VLAN_ID, 50, payload);
                    vlanUdp += 50;
                    udp += 50;
                    udpFrameBytes += 50L * frameLength;
                    if (rounds % 4 == 1) {
                        // a small port scan: one datagram to each of SCAN_PORTS ports; trips the port-scan rule
                        for (int p = 0; p < SCAN_PORTS && !stop; p++) {
                            long n = Traffic.udp(a, b, false, 1, 16, 20_000 + p).packets();
                            scanUdp += n;
                            udp += n;
                            udpFrameBytes += n * (ETH_HLEN + 20 + 8 + 16);
                        }
                    }
                    rounds++;
                    Thread.sleep(200);
                }
            } catch (Throwable e) {
                if (!stop) {
                    failure.set(e);
                    onFailure.run();
                }
            }
        }
    }
}
