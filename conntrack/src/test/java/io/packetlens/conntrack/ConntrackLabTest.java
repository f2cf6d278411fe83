package io.packetlens.conntrack;

import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tracker against the kernel's nf_conntrack in the same namespace, on the same lab traffic: TCP connections closed
 * by FIN and by RST and one left open, a UDP exchange and ICMP echo must give the same connections, states and
 * per-direction packet and byte counts. Also: a full table is counted, a connection open before the tracker is
 * picked up mid-stream, and an idle connection times out on both.
 */
@KernelTest
class ConntrackLabTest {
    private Lab lab;
    private Host a, b;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void setUp() {
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

    private ConntrackProgram tracker(ConntrackConfig config) throws Exception {
        ConntrackProgram ct = ConntrackProgram.load(config);
        cleanup.add(ct);
        b.run(() -> ct.attachTc("veth0"));
        return ct;
    }

    /** A server on b:port that reads until EOF (or reset) and answers {@code answer} bytes; returns when it is listening. */
    private CountDownLatch server(int port, int answer) throws Exception {
        ServerSocket listener = b.call(() -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), port));
            return s;
        });
        cleanup.add(listener);
        CountDownLatch done = new CountDownLatch(1);
        Thread.ofPlatform().daemon().start(() -> {
            try (Socket s = listener.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                byte[] buf = new byte[65536];
                try {
                    while (in.read(buf) >= 0) {
                        // drain
                    }
                    out.write(new byte[answer]);
                } catch (java.io.IOException reset) {
                    // the RST case
                }
            } catch (java.io.IOException ignored) {
                // the listener closed
            } finally {
                done.countDown();
            }
        });
        return done;
    }

    private Socket connect(int port) throws Exception {
        return a.call(() -> {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), port), 2000);
            return s;
        });
    }

    @Test
    void theSameTrafficGivesTheSameConnectionsAsTheKernelsConntrack() throws Exception {
        NfConntrack nf = NfConntrack.start(b);
        cleanup.add(nf);
        ConntrackProgram ct = tracker(ConntrackConfig.defaults());

        // TCP closed by FIN from both sides
        CountDownLatch finDone = server(18081, 1000);
        try (Socket s = connect(18081)) {
            s.getOutputStream().write(new byte[20_000]);
            s.shutdownOutput();
            s.getInputStream().readAllBytes();
        }
        assertThat(finDone.await(5, TimeUnit.SECONDS)).isTrue();
        // TCP closed by RST
        CountDownLatch rstDone = server(18082, 0);
        try (Socket s = connect(18082)) {
            s.getOutputStream().write(new byte[5_000]);
            Thread.sleep(100);
            s.setSoLinger(true, 0);
        }
        assertThat(rstDone.await(5, TimeUnit.SECONDS)).isTrue();
        // TCP left open, with data
        server(18083, 0);
        Socket open = connect(18083);
        cleanup.add(open);
        open.getOutputStream().write(new byte[3_000]);
        // UDP: five datagrams out, three answers
        DatagramSocket rx = b.call(() -> new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), 18084)));
        cleanup.add(rx);
        DatagramSocket tx = a.call(() -> new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(a.ipv4()), 18085)));
        cleanup.add(tx);
        InetSocketAddress to = new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), 18084);
        for (int i = 0; i < 5; i++) tx.send(new DatagramPacket(new byte[100 + i], 100 + i, to));
        for (int i = 0; i < 3; i++) {
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            rx.receive(p);
            rx.send(new DatagramPacket(new byte[40], 40, p.getSocketAddress()));
        }
        // ICMP echo
        a.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", b.ipv4());
        Thread.sleep(300); // the last ACKs

        List<NfConntrack.Entry> kernel = nf.list().stream().filter(e -> e.family().equals("ipv4")).toList();
        List<Connection> ours = ct.connections(c -> c.source() instanceof java.net.Inet4Address);
        System.out.println("nf_conntrack: " + kernel);
        System.out.println("packetlens:   " + ours);
        System.out.println("counters: " + ct.counters());
        assertThat(kernel).as("nf_conntrack saw the lab's five connections").hasSize(5);
        assertThat(normalised(ours)).isEqualTo(normalisedNf(kernel));
        Connection rst = ours.stream().filter(c -> c.destinationPort() == 18082).findFirst().orElseThrow();
        assertThat(rst.closedBy()).contains("rst");
        Connection fin = ours.stream().filter(c -> c.destinationPort() == 18081).findFirst().orElseThrow();
        assertThat(fin.closedBy()).contains("fin");
        assertThat(fin.synAckToAck()).as("handshake round trip seen at the responder").isPresent();
        assertThat(ct.counters().get(ConntrackCounter.TABLE_FULL)).isZero();
    }

    @Test
    void aFullTableRefusesNewConnectionsAndCountsThem() throws Exception {
        ConntrackProgram ct = tracker(ConntrackConfig.defaults().tableSize(4));
        DatagramSocket tx = a.call(() -> new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(a.ipv4()), 0)));
        cleanup.add(tx);
        for (int port = 19001; port <= 19006; port++) {
            tx.send(new DatagramPacket(new byte[10], 10, new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), port)));
        }
        Thread.sleep(200);
        Map<ConntrackCounter, Long> n = ct.counters();
        long udp = ct.connections(c -> c.protocol() == 17).size();
        assertThat(ct.entries()).isEqualTo(4);
        // the replies b's kernel sends (ICMP port unreachable) are related errors, not connections
        assertThat(n.get(ConntrackCounter.TABLE_FULL)).as("every connection the table had no room for: " + n)
                .isEqualTo(6 - udp);
        assertThat(n.get(ConntrackCounter.CREATED)).isEqualTo(4);
    }

    @Test
    void aConnectionOpenBeforeTheTrackerIsPickedUpMidStream() throws Exception {
        server(18091, 0);
        Socket s = connect(18091);
        cleanup.add(s);
        s.getOutputStream().write(new byte[100]);
        Thread.sleep(100);
        ConntrackProgram ct = tracker(ConntrackConfig.defaults());
        s.getOutputStream().write(new byte[1000]);
        Thread.sleep(200);
        Connection c = ct.connections(x -> x.destinationPort() == 18091 || x.sourcePort() == 18091).getFirst();
        assertThat(c.midstream()).isTrue();
        assertThat(c.state()).isEqualTo(ConnState.ESTABLISHED);
        assertThat(c.source().getHostAddress()).as("the sender of the first packet seen").isEqualTo(a.ipv4());
        assertThat(c.original().packets()).isPositive();
        assertThat(c.reply().packets()).as("b's ACK").isPositive();
        assertThat(c.assured()).isTrue();
    }

    @Test
    void anIdleConnectionTimesOutHereAsInTheKernelsConntrack() throws Exception {
        NfConntrack nf = NfConntrack.start(b);
        cleanup.add(nf);
        nf.sysctl("nf_conntrack_udp_timeout", "2");
        ConntrackProgram ct = tracker(ConntrackConfig.defaults()
                .timeouts(ConntrackTimeouts.defaults().udp(Duration.ofSeconds(2), Duration.ofSeconds(120))));
        DatagramSocket rx = b.call(() -> new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), 19010)));
        cleanup.add(rx);
        DatagramSocket tx = a.call(() -> new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(a.ipv4()), 19011)));
        cleanup.add(tx);
        tx.send(new DatagramPacket(new byte[10], 10, new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), 19010)));
        Thread.sleep(200);
        assertThat(nf.list().stream().filter(e -> e.destinationPort() == 19010)).hasSize(1);
        assertThat(ct.expire()).as("not idle for long enough yet").isEmpty();
        assertThat(ct.connections(c -> c.destinationPort() == 19010)).hasSize(1);
        Thread.sleep(3_000);
        List<Connection> gone = ct.expire();
        assertThat(gone).extracting(Connection::destinationPort).containsExactly(19010);
        assertThat(ct.connections(c -> c.destinationPort() == 19010)).isEmpty();
        assertThat(nf.list().stream().filter(e -> e.destinationPort() == 19010)).as("nf_conntrack expired it too").isEmpty();
    }

    @Test
    void eventsComeInOrderPerConnectionWithTheirReasons() throws Exception {
        ConntrackProgram ct = tracker(ConntrackConfig.defaults().events(true)
                .timeouts(ConntrackTimeouts.defaults().udp(Duration.ofSeconds(1), Duration.ofSeconds(1))));
        List<ConntrackEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.packetlens.ebpf.events.EventSource source = ct.openEvents(events::add);
        cleanup.add(source);
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            while (source.read(100) != io.packetlens.ebpf.events.EventSource.CLOSED) {
                // handled by events::add
            }
        });
        CountDownLatch done = server(18101, 500);
        try (Socket s = connect(18101)) {
            s.getOutputStream().write(new byte[2_000]);
            s.shutdownOutput();
            s.getInputStream().readAllBytes();
        }
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        DatagramSocket rx = b.call(() -> new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), 18102)));
        cleanup.add(rx);
        DatagramSocket tx = a.call(() -> new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(a.ipv4()), 18103)));
        cleanup.add(tx);
        tx.send(new DatagramPacket(new byte[10], 10, new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), 18102)));
        DatagramPacket p = new DatagramPacket(new byte[100], 100);
        rx.receive(p);
        rx.send(new DatagramPacket(new byte[20], 20, p.getSocketAddress()));
        Thread.sleep(1_500);
        List<ConntrackEvent> timedOut = ct.expire().stream().map(c -> ConntrackEvent.timedOut(c, System.nanoTime())).toList();
        Thread.sleep(200);
        source.close();
        reader.join(2_000);

        List<ConntrackEvent> tcp = events.stream().filter(e -> e.destinationPort() == 18101).sorted(Comparator.comparingInt(ConntrackEvent::seq)).toList();
        System.out.println("events: " + events);
        assertThat(tcp).extracting(ConntrackEvent::kind).containsExactly(ConntrackEvent.Kind.NEW, ConntrackEvent.Kind.ESTABLISHED,
                ConntrackEvent.Kind.CLOSED);
        assertThat(tcp).extracting(ConntrackEvent::seq).containsExactly(0, 1, 2);
        assertThat(tcp).extracting(ConntrackEvent::timestampNanos).isSorted();
        assertThat(tcp.get(0).state()).isEqualTo(ConnState.SYN_SENT);
        assertThat(tcp.get(2).reason()).isEqualTo("fin");
        assertThat(tcp.get(2).state()).isEqualTo(ConnState.TIME_WAIT);
        assertThat(tcp.get(0).source().getHostAddress()).isEqualTo(a.ipv4());
        List<ConntrackEvent> udp = events.stream().filter(e -> e.destinationPort() == 18102).toList();
        assertThat(udp).extracting(ConntrackEvent::kind).containsExactly(ConntrackEvent.Kind.NEW, ConntrackEvent.Kind.ESTABLISHED);
        ConntrackEvent udpGone = timedOut.stream().filter(e -> e.destinationPort() == 18102).findFirst().orElseThrow();
        assertThat(udpGone.reason()).isEqualTo("timeout");
        assertThat(udpGone.seq()).as("after the kernel's two").isEqualTo(2);
        assertThat(udpGone.origPackets()).isEqualTo(1);
        assertThat(udpGone.replyPackets()).isEqualTo(1);
        assertThat(source.losses().toString()).isNotNull();
    }

    @ParameterizedTest(name = "segmented by the device: {0}")
    @ValueSource(booleans = {false, true})
    void retransmissionsCountedAsTheSenderCountsThem(boolean gso) throws Exception {
        // one in 20 data packets to the port dropped at b's ingress. With GSO the sender's packets at our hook are up to
        // 64 KiB, several segments each, and a retransmission of one is several of the sender's Tcp.RetransSegs; without,
        // the stack still builds GSO packets that the device cuts after our hook, which a retransmission after a timeout
        // under load does
        if (!gso) a.exec("ethtool", "-K", "veth0", "tso", "off", "gso", "off");
        io.packetlens.ebpf.ObjectSpec dropSpec = io.packetlens.ebpf.ObjectSpec.fromResource(ConntrackLabTest.class, "/bpf/drop_segments.bpf.o");
        dropSpec.variable("cfg_every").set(20);
        dropSpec.variable("cfg_port").set(18111);
        io.packetlens.ebpf.BpfObject dropper = dropSpec.load();
        cleanup.add(dropper);
        b.run(() -> cleanup.add(io.packetlens.ebpf.link.TcLink.attach(dropper.program("drop_segments"), "veth0",
                io.packetlens.ebpf.link.TcDirection.INGRESS)));
        // the tracker at the sender, which sees every transmission, as the sender's counter does: behind the drop a
        // lost last segment's retransmission would look like its first sending
        ConntrackProgram ct = ConntrackProgram.load(ConntrackConfig.defaults());
        cleanup.add(ct);
        a.run(() -> ct.attachTc("veth0"));
        long before = a.snmp().get("Tcp.RetransSegs");
        CountDownLatch done = server(18111, 0);
        try (Socket s = connect(18111)) {
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[16_384];
            for (int i = 0; i < 64; i++) out.write(chunk);
            s.shutdownOutput();
            s.getInputStream().readAllBytes();
        }
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(300);
        long sender = a.snmp().get("Tcp.RetransSegs") - before;
        long drops = dropper.readLong(dropSpec.variable("dropped"));
        List<Connection> all = ct.connections(x -> x.destinationPort() == 18111);
        assertThat(all).as("one connection, not split in two").hasSize(1);
        Connection c = all.getFirst();
        System.out.println("retransmissions: sender " + sender + ", packetlens " + c.original().retransmits() + ", dropped " + drops
                + ", out of order " + c.original().outOfOrder());
        assertThat(drops).isPositive();
        assertThat(c.original().retransmits()).as("the sender's own count (Tcp.RetransSegs)").isEqualTo(sender);
        assertThat(c.original().outOfOrder()).as("the sender sends in order; holes are made behind it").isZero();
        assertThat(c.reply().retransmits()).isZero();
    }

    @Test
    void theHandshakeRoundTripIsTheOnesTheSendersKernelMeasured() throws Exception {
        // at the originator, SYN out to SYN-ACK in is the round trip the kernel's first RTT sample is; with no data sent
        // yet, ss -ti's rtt is that sample
        ConntrackProgram ct = ConntrackProgram.load(ConntrackConfig.defaults());
        cleanup.add(ct);
        a.run(() -> ct.attachTc("veth0"));
        server(18121, 0);
        Socket s = connect(18121);
        cleanup.add(s);
        Thread.sleep(100);
        String ss = a.exec("ss", "-tin", "dst", b.ipv4(), "dport", "= :18121");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\brtt:([0-9.]+)/").matcher(ss);
        assertThat(m.find()).as("ss -ti output: " + ss).isTrue();
        double kernelMs = Double.parseDouble(m.group(1));
        Connection c = ct.connections(x -> x.destinationPort() == 18121).getFirst();
        double oursMs = c.synToSynAck().orElseThrow().toNanos() / 1e6;
        System.out.printf("handshake RTT: ss -ti %.3f ms, packetlens %.3f ms%n", kernelMs, oursMs);
        assertThat(oursMs).isPositive();
        // ss prints microseconds as milliseconds with three decimals; the kernel's sample spans a little more of the
        // stack than TC to TC does
        assertThat(oursMs).isBetween(kernelMs / 4 - 0.002, kernelMs * 4 + 0.002);
    }

    /** What both trackers can be compared on, sorted: protocol, tuple, state, and each direction's packets and bytes. */
    private static List<String> normalised(List<Connection> cs) {
        return cs.stream().map(c -> String.join(" ", c.protocolName(),
                c.protocol() == 6 ? c.state().name() : "-",
                c.source().getHostAddress() + ":" + c.sourcePort(), c.destination().getHostAddress() + ":" + c.destinationPort(),
                "orig=" + c.original().packets() + "/" + c.original().bytes(),
                "reply=" + c.reply().packets() + "/" + c.reply().bytes())).sorted().toList();
    }

    private static List<String> normalisedNf(List<NfConntrack.Entry> es) {
        return es.stream().map(e -> String.join(" ", e.protocol(), e.protocol().equals("tcp") ? e.state() : "-",
                e.source() + ":" + e.sourcePort(), e.destination() + ":" + e.destinationPort(),
                "orig=" + e.origPackets() + "/" + e.origBytes(), "reply=" + e.replyPackets() + "/" + e.replyBytes())).sorted().toList();
    }
}
