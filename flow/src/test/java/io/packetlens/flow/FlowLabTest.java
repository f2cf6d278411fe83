package io.packetlens.flow;

import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Await;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.LinkStats;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real traffic between the lab's namespaces, counted by the flow program at XDP on the receiver and reported by the
 * aggregator: every flow must hold exactly what the sender sent, packet for packet, checked against the sender's own
 * counters and a tcpdump capture on the sender's side.
 */
@KernelTest
class FlowLabTest {

    @ParameterizedTest
    @EnumSource(value = XdpMode.class, names = {"DRIVER", "GENERIC"})
    void flowsMatchWhatTheSenderSent(XdpMode mode) throws Exception {
        List<FinishedFlow> records = new ArrayList<>();
        try (Lab lab = Lab.create(); FlowProgram flows = FlowProgram.load();
             FlowAggregator aggregator = new FlowAggregator(flows, records::add)) {
            Host a = lab.a(), b = lab.b();
            Path pcap = Files.createTempFile("pl-flows", ".pcap");
            try {
                // captured where the sender transmits: on the receiver, GRO after XDP would merge TCP segments
                Process tcpdump = a.startAndAwait("listening on", Duration.ofSeconds(10),
                        "tcpdump", "-i", a.ifname(), "-Q", "out", "-w", pcap.toString(), "-U", "-n");
                XdpLink link = b.call(() -> flows.attachXdp(b.ifname(), mode));
                assertThat(link.mode()).isEqualTo(mode);
                aggregator.start();
                LinkStats before = a.linkStats();
                Map<String, Long> snmp0 = a.snmp();

                Traffic.Sent udp4 = Traffic.udp(a, b, false, 300, 100);
                Traffic.Sent udp6 = Traffic.udp(a, b, true, 200, 1000);
                Traffic.Sent ping4 = Traffic.ping(a, b, false, 5);
                Traffic.Sent ping6 = Traffic.ping(a, b, true, 5);
                Traffic.Sent tcp4 = Traffic.tcp(a, b, false, 200_000);
                Traffic.Sent tcp6 = Traffic.tcp(a, b, true, 300_000);
                // the sender's last frames (a late ACK or FIN) out before its count is read and the program detached
                assertThat(Await.quiet(Duration.ofMillis(300), Duration.ofSeconds(10), () -> a.linkStats().txPackets()))
                        .as("the sender's link goes quiet").isTrue();

                LinkStats sent = a.linkStats().minus(before);
                Map<String, Long> snmp1 = a.snmp();
                flows.detachAll();
                aggregator.stop(); // stop polling, then report what is left
                aggregator.flush();
                awaitCapture(pcap, sent);
                tcpdump.destroy();
                tcpdump.waitFor();

                InetAddress a4 = InetAddress.ofLiteral(a.ipv4()), a6 = InetAddress.ofLiteral(a.ipv6());
                assertThat(records).isNotEmpty().allMatch(r -> r.key().ifindex() == b.ifindex()
                        && r.key().direction() == Direction.INGRESS && r.key().source().equals(r.key().isIpv4() ? a4 : a6));
                FlowAggregator.Totals totals = aggregator.totals();
                assertThat(totals.allTraffic().packets()).as("every frame the sender put on the link").isEqualTo(sent.txPackets());
                assertThat(totals.other()).as("the lab link carries nothing but our traffic").isEqualTo(Count.ZERO);
                assertThat(totals.losses()).isEqualTo(LossCounters.ZERO);

                assertThat(flow(records, 17, true, 9000)).isEqualTo(new Count(udp4.packets(), udp4.packets() * (14 + 20 + 8 + 100)));
                assertThat(flow(records, 17, false, 9000)).isEqualTo(new Count(udp6.packets(), udp6.packets() * (14 + 40 + 8 + 1000)));
                assertThat(flow(records, 1, true, 8 << 8)).isEqualTo(new Count(ping4.packets(), ping4.packets() * (14 + 20 + 8 + 56)));
                assertThat(flow(records, 58, false, 128 << 8)).isEqualTo(new Count(ping6.packets(), ping6.packets() * (14 + 40 + 8 + 56)));
                assertThat(flow(records, 6, true, Traffic.TCP_PORT).packets()).isEqualTo(tcp4.packets());
                assertThat(flow(records, 6, false, Traffic.TCP_PORT).packets()).isEqualTo(tcp6.packets());
                assertThat(records.stream().filter(r -> r.key().protocol() == 6).mapToInt(FinishedFlow::tcpFlags).reduce(0, (x, y) -> x | y))
                        .isEqualTo(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.FIN | TcpFlags.PSH);
                assertThat(snmp1.get("Udp.OutDatagrams") - snmp0.get("Udp.OutDatagrams")).isEqualTo(udp4.packets());

                // the sender's capture, flow by flow. Not TCP: the capture tap sees the sender's TSO/GSO skbs, which
                // native XDP on veth sees as segments and generic XDP as whole skbs, not always one-to-one with the tap
                // (measured: 176 captured vs 216 segments at XDP in one run). TCP is covered by the link total above and,
                // in driver mode, by the sender's segment counter below.
                assertThat(flow(records, 17, true, 9000)).isEqualTo(tcpdump(a, pcap, "ip and udp dst port 9000"));
                assertThat(flow(records, 17, false, 9000)).isEqualTo(tcpdump(a, pcap, "ip6 and udp dst port 9000"));
                assertThat(flow(records, 1, true, 8 << 8)).isEqualTo(tcpdump(a, pcap, "icmp[icmptype] == icmp-echo"));
                assertThat(flow(records, 58, false, 128 << 8)).isEqualTo(tcpdump(a, pcap, "icmp6 and ip6[40] == 128"));
                long tcpPackets = flow(records, 6, true, Traffic.TCP_PORT).packets() + flow(records, 6, false, Traffic.TCP_PORT).packets();
                if (mode == XdpMode.DRIVER) {
                    assertThat(tcpPackets).isEqualTo(snmp1.get("Tcp.OutSegs") - snmp0.get("Tcp.OutSegs")
                            + snmp1.get("Tcp.RetransSegs") - snmp0.get("Tcp.RetransSegs"));
                }
                assertThat(flows.flowTable().keys()).as("flush emptied the table").isEmpty();
            } finally {
                Files.deleteIfExists(pcap);
            }
        }
    }

    /** Packets and bytes of all records of the one flow from the sender with this protocol, family and destination port. */
    private static Count flow(List<FinishedFlow> records, int protocol, boolean ipv4, int dport) {
        Predicate<FinishedFlow> match = r -> r.key().protocol() == protocol && r.key().isIpv4() == ipv4
                && r.key().destinationPort() == dport;
        List<FinishedFlow> mine = records.stream().filter(match).toList();
        assertThat(mine.stream().map(FinishedFlow::key).distinct()).as("one flow for proto %d dport %d", protocol, dport).hasSize(1);
        return mine.stream().map(r -> new Count(r.packets(), r.bytes())).reduce(Count.ZERO, Count::plus);
    }

    /**
     * Waits until tcpdump has written every frame the sender sent: a busy machine can leave it behind, and stopping
     * it then loses the last frames. The pcap file then holds a 24-byte header and, per frame, a 16-byte record header
     * and the whole frame (the default snap length keeps frames whole), so its size says when it is complete.
     */
    private static void awaitCapture(Path pcap, LinkStats sent) throws Exception {
        long want = 24 + 16 * sent.txPackets() + sent.txBytes();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (Files.size(pcap) < want) {
            assertThat(System.nanoTime()).as("tcpdump wrote %d of %d bytes in 30 s", Files.size(pcap), want).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static final Pattern LENGTH = Pattern.compile("length (\\d+)");

    /** Packets and frame bytes tcpdump recorded for {@code filter}. */
    private static Count tcpdump(Host h, Path pcap, String filter) throws Exception {
        long packets = 0, bytes = 0;
        for (String line : h.exec("tcpdump", "-r", pcap.toString(), "-nn", "-e", filter).lines().toList()) {
            if (line.isBlank()) continue;
            Matcher m = LENGTH.matcher(line);
            assertThat(m.find()).as("frame length in %s", line).isTrue();
            packets++;
            bytes += Long.parseLong(m.group(1));
        }
        return new Count(packets, bytes);
    }
}
