package io.packetlens.guard;

import io.packetlens.conntrack.ConnState;
import io.packetlens.conntrack.Connection;
import io.packetlens.conntrack.ConntrackCounter;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.guard.rules.RulesReader;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * State rules on a real link: the guard on b's veth0 (XDP or TC ingress, with its egress tracker), the usual host
 * policy (new connections in only to one port, every reply let back), senders in a. Ports 19350-19369.
 */
@KernelTest
class GuardStateTest {
    private static final String POLICY = """
            default: deny
            rules:
              - name: replies
                action: allow
                state: [established, related]
              - name: ssh-in
                action: allow
                protocol: tcp
                destination-port: 19350
                state: new
              - name: ping-in
                action: allow
                protocol: icmp
                icmp: {type: 8}
                state: new
            """;

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

    private GuardProgram guard(String yaml, boolean tc) throws Exception {
        GuardProgram g = GuardProgram.load(RulesReader.parse(yaml), GuardOptions.unpinned());
        cleanup.add(g);
        b.run(() -> {
            if (tc) g.attachTc("veth0");
            else g.attachXdp("veth0", XdpMode.DRIVER);
        });
        return g;
    }

    /** A TCP listener in {@code on} that echoes what it reads; closed with the test. */
    private void echoServer(Host on, String address, int port) throws Exception {
        ServerSocket ss = on.call(() -> {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(address, port));
            return s;
        });
        cleanup.add(ss);
        Thread t = Thread.ofVirtual().start(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket c = ss.accept();
                    Thread.ofVirtual().start(() -> {
                        try (c; InputStream in = c.getInputStream(); OutputStream out = c.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // the peer went away
                        }
                    });
                } catch (IOException closed) {
                    return;
                }
            }
        });
        cleanup.add(t::interrupt);
    }

    /** Connects from {@code from} to address:port within 1 s, or null if the handshake does not complete. */
    private Socket connect(Host from, String address, int port) throws Exception {
        return from.call(() -> {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(address, port), 1000);
                s.setSoTimeout(2000);
                cleanup.add(s);
                return s;
            } catch (IOException timedOut) {
                s.close();
                return null;
            }
        });
    }

    private static boolean echoes(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes());
        byte[] back = s.getInputStream().readNBytes(text.length());
        return new String(back).equals(text);
    }

    @ParameterizedTest(name = "at TC: {0}")
    @ValueSource(booleans = {false, true})
    void newConnectionsInOnlyWhereAllowedAndEveryReplyBack(boolean tc) throws Exception {
        echoServer(b, b.ipv4(), 19350);
        echoServer(b, b.ipv4(), 19351);
        echoServer(a, a.ipv4(), 19352);
        GuardProgram g = guard(POLICY, tc);

        Socket allowed = connect(a, b.ipv4(), 19350);
        assertThat(allowed).as("a new connection to the allowed port").isNotNull();
        assertThat(echoes(allowed, "hello")).isTrue();
        assertThat(connect(a, b.ipv4(), 19351)).as("a new connection to a port no rule opens").isNull();

        Socket outbound = connect(b, a.ipv4(), 19352);
        assertThat(outbound).as("b's own connection out: its SYN-ACK is a reply").isNotNull();
        assertThat(echoes(outbound, "replies come back")).isTrue();

        // UDP: a reply to b's datagram passes, the same datagram unasked does not
        DatagramSocket bSock = b.call(() -> {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(b.ipv4(), 19353));
            s.setSoTimeout(500);
            return s;
        });
        cleanup.add(bSock);
        DatagramSocket aSock = a.call(() -> new DatagramSocket(new InetSocketAddress(a.ipv4(), 19354)));
        cleanup.add(aSock);
        InetSocketAddress toA = new InetSocketAddress(a.ipv4(), 19354), toB = new InetSocketAddress(b.ipv4(), 19353);
        aSock.send(new DatagramPacket(new byte[8], 8, toB));
        assertThat(received(bSock)).as("a datagram nobody asked for").isFalse();
        bSock.send(new DatagramPacket(new byte[8], 8, toA));
        aSock.setSoTimeout(500);
        aSock.receive(new DatagramPacket(new byte[64], 64));
        aSock.send(new DatagramPacket(new byte[8], 8, toB));
        assertThat(received(bSock)).as("the answer to b's datagram").isTrue();

        assertThat(a.exec("ping", "-c", "1", "-W", "1", b.ipv4())).contains("1 received");

        var rules = g.ruleCounters();
        assertThat(rules.of("replies").packets()).isPositive();
        assertThat(rules.of("ssh-in").packets()).as("the allowed SYN (and its retransmissions, if any)").isBetween(1L, 3L);
        assertThat(rules.of("ping-in").packets()).isEqualTo(1);
        assertThat(g.reasons().get(DropReason.DEFAULT).packets()).as("the refused SYNs and the unasked datagram").isPositive();

        List<Connection> tracked = g.connections().connections(c -> true);
        assertThat(tracked).extracting(Connection::destinationPort).contains(19350, 19352, 19354);
        assertThat(tracked).extracting(Connection::destinationPort).as("nothing refused is tracked").doesNotContain(19351);
        Connection in = tracked.stream().filter(c -> c.destinationPort() == 19350).findFirst().orElseThrow();
        assertThat(in.state()).isEqualTo(ConnState.ESTABLISHED);
        assertThat(in.source().getHostAddress()).isEqualTo(a.ipv4());
        Connection out = tracked.stream().filter(c -> c.destinationPort() == 19352).findFirst().orElseThrow();
        assertThat(out.source().getHostAddress()).as("b's connection, seen leaving by the egress tracker").isEqualTo(b.ipv4());
        assertThat(g.connections().counters().get(ConntrackCounter.TABLE_FULL)).isZero();
        assertThat(g.connections().counters().get(ConntrackCounter.TRACKED)).isPositive();
        assertThat(g.tables()).extracting(GuardProgram.TableFill::table).contains("ct_table");
    }

    @ParameterizedTest(name = "at TC: {0}")
    @ValueSource(booleans = {false, true})
    void anEstablishedConnectionSurvivesARulesReload(boolean tc) throws Exception {
        echoServer(b, b.ipv4(), 19360);
        GuardProgram g = guard(POLICY.replace("19350", "19360"), tc);
        Socket s = connect(a, b.ipv4(), 19360);
        assertThat(s).isNotNull();
        assertThat(echoes(s, "before")).isTrue();
        long before = g.generation();
        // the port is closed to new connections now; what is established stays open
        g.install(RulesReader.parse(POLICY.replace("19350", "19369")));
        assertThat(g.generation()).isGreaterThan(before);
        assertThat(echoes(s, "after the reload")).as("the established connection").isTrue();
        assertThat(connect(a, b.ipv4(), 19360)).as("a new connection under the new rules").isNull();
        // a reload to rules without states stops tracking; one back to state rules finds the connection still known
        g.install(RulesReader.parse("default: allow\n"));
        g.install(RulesReader.parse(POLICY.replace("19350", "19369")));
        assertThat(echoes(s, "and again")).isTrue();
    }

    private static boolean received(DatagramSocket s) throws IOException {
        try {
            s.receive(new DatagramPacket(new byte[64], 64));
            return true;
        } catch (SocketTimeoutException quiet) {
            return false;
        }
    }
}
