package io.packetlens.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.packetlens.testkit.KernelTest;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real traffic over one shared lab, cross-checked against the kernel's counters; exact because the link is otherwise silent. */
@KernelTest
class LabTrafficTest {

    private static Lab lab;
    private static Host a;
    private static Host b;

    @BeforeAll
    static void createLab() throws Exception {
        lab = Lab.create("pltt-" + ProcessHandle.current().pid());
        a = lab.a();
        b = lab.b();
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) {
            lab.close();
            assertThat(LabLifecycleTest.namespaces()).doesNotContain(a.namespace(), b.namespace());
        }
    }

    @Test
    void linkStaysSilentWithoutTraffic() throws Exception {
        LinkStats a0 = a.linkStats();
        LinkStats b0 = b.linkStats();
        // MLD reports would have been retransmitted within ~1 s of link up, router solicitations every 4 s
        Thread.sleep(1500);
        assertThat(a.linkStats().minus(a0)).isEqualTo(new LinkStats(0, 0, 0, 0));
        assertThat(b.linkStats().minus(b0)).isEqualTo(new LinkStats(0, 0, 0, 0));
    }

    @Test
    void pingIpv4() throws Exception {
        Map<String, Long> snmpA = a.snmp();
        LinkStats b0 = b.linkStats();
        Traffic.Sent sent = Traffic.ping(a, b, false, 5);
        assertThat(sent).isEqualTo(new Traffic.Sent(5, 5 * 56));
        assertThat(delta(a.snmp(), snmpA, "Icmp.OutEchos")).isEqualTo(5);
        assertThat(delta(a.snmp(), snmpA, "Icmp.InEchoReps")).isEqualTo(5);
        LinkStats bDelta = b.linkStats().minus(b0);
        assertThat(bDelta.rxPackets()).isEqualTo(5);
        assertThat(bDelta.txPackets()).isEqualTo(5);
        assertThat(bDelta.rxBytes()).isEqualTo(5 * (14 + 20 + 8 + 56));
    }

    @Test
    void pingIpv6() throws Exception {
        Map<String, Long> snmpA = a.snmp();
        LinkStats b0 = b.linkStats();
        Traffic.Sent sent = Traffic.ping(a, b, true, 5);
        assertThat(sent.packets()).isEqualTo(5);
        assertThat(delta(a.snmp(), snmpA, "Icmp6OutEchos")).isEqualTo(5);
        assertThat(delta(a.snmp(), snmpA, "Icmp6OutMsgs")).isEqualTo(5);
        LinkStats bDelta = b.linkStats().minus(b0);
        assertThat(bDelta.rxPackets()).isEqualTo(5);
        assertThat(bDelta.rxBytes()).isEqualTo(5 * (14 + 40 + 8 + 56));
    }

    @Test
    void udpIpv4DatagramsAreCountedExactly() throws Exception {
        Map<String, Long> snmpA = a.snmp();
        Map<String, Long> snmpB = b.snmp();
        LinkStats a0 = a.linkStats();
        LinkStats b0 = b.linkStats();

        Traffic.Sent sent = Traffic.udp(a, b, false, 100, 100);

        assertThat(sent).isEqualTo(new Traffic.Sent(100, 100 * 100));
        assertThat(delta(a.snmp(), snmpA, "Udp.OutDatagrams")).isEqualTo(100);
        assertThat(delta(a.snmp(), snmpA, "Ip.OutRequests")).isEqualTo(100);
        assertThat(delta(b.snmp(), snmpB, "Udp.InDatagrams")).isEqualTo(100);
        assertThat(delta(b.snmp(), snmpB, "Udp.NoPorts")).isZero();
        LinkStats bDelta = b.linkStats().minus(b0);
        assertThat(bDelta.rxPackets()).isEqualTo(100);
        assertThat(bDelta.rxBytes()).isEqualTo(100 * (14 + 20 + 8 + 100));
        assertThat(bDelta.txPackets()).isZero();
        assertThat(a.linkStats().minus(a0)).isEqualTo(new LinkStats(0, 0, 100, 100 * (14 + 20 + 8 + 100)));
    }

    @Test
    void udpIpv6DatagramsAreCountedExactly() throws Exception {
        Map<String, Long> snmpA = a.snmp();
        LinkStats b0 = b.linkStats();

        Traffic.udp(a, b, true, 100, 200);

        assertThat(delta(a.snmp(), snmpA, "Udp6OutDatagrams")).isEqualTo(100);
        assertThat(delta(a.snmp(), snmpA, "Ip6OutRequests")).isEqualTo(100);
        LinkStats bDelta = b.linkStats().minus(b0);
        assertThat(bDelta.rxPackets()).isEqualTo(100);
        assertThat(bDelta.rxBytes()).isEqualTo(100 * (14 + 40 + 8 + 200));
        assertThat(bDelta.txPackets()).isZero();
    }

    @Test
    void tcpIpv4MegabyteArrives() throws Exception {
        checkTcp(false);
    }

    @Test
    void tcpIpv6MegabyteArrives() throws Exception {
        checkTcp(true);
    }

    private static void checkTcp(boolean ipv6) throws Exception {
        Map<String, Long> snmpB = b.snmp();
        LinkStats b0 = b.linkStats();
        int megabyte = 1 << 20;

        Traffic.Sent sent = Traffic.tcp(a, b, ipv6, megabyte);

        assertThat(sent.payloadBytes()).isEqualTo(megabyte);
        LinkStats bDelta = b.linkStats().minus(b0);
        // every skb a sent is one b received: the link carries nothing else
        assertThat(bDelta.rxPackets()).isEqualTo(sent.packets());
        assertThat(bDelta.rxBytes()).isGreaterThan(megabyte);
        assertThat(delta(b.snmp(), snmpB, "Tcp.PassiveOpens")).isEqualTo(1);
    }

    private static long delta(Map<String, Long> now, Map<String, Long> before, String key) {
        assertThat(now).containsKey(key);
        return now.get(key) - before.getOrDefault(key, 0L);
    }
}
