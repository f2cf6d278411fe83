package io.packetlens.flow;

import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.packet.Frame;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The AF_PACKET fallback and the kernel flow program on the same interface at the same time, fed the same lab
 * traffic (UDP, ICMP and TCP over IPv4 and IPv6, IP fragments, 802.1Q-tagged frames): flow by flow, the fallback's
 * records must hold what the kernel program's hold, packet for packet and byte for byte, with the same TCP flags,
 * IP lengths, DSCP and fragment flag; and be marked as fallback. At XDP (received frames), and at TC ingress and
 * egress against the fallback's both-ways rings.
 */
@KernelTest
class PacketFlowsLabTest {
    /** One flow's records added up. */
    record Sum(long packets, long bytes, long ipBytes, int tcpFlags, int min, int max, int dscp, boolean fragments) {
        Sum plus(FinishedFlow r) {
            return new Sum(packets + r.packets(), bytes + r.bytes(), ipBytes + r.ipBytes(), tcpFlags | r.tcpFlags(),
                    packets == 0 ? r.minLength() : Math.min(min, r.minLength()), Math.max(max, r.maxLength()),
                    packets == 0 ? r.dscp() : dscp, fragments || r.fragments());
        }
    }

    private static Map<FlowKey, Sum> byFlow(List<FinishedFlow> records, Predicate<FlowKey> ours) {
        Map<FlowKey, Sum> out = new HashMap<>();
        for (FinishedFlow r : records) {
            if (ours.test(r.key())) out.merge(r.key(), new Sum(0, 0, 0, 0, 0, 0, 0, false).plus(r), (x, y) -> x.plus(r));
        }
        return out;
    }

    /** The tagged frames {@link #traffic} sends: 25 on VLAN 300, and 10 with three tags (not IP to any parser here). */
    static final byte[] TAGGED = Frame.ethernet(new byte[6], new byte[6]).vlan(300).ipv4(new byte[] {10, 9, 9, 1}, new byte[] {10, 9, 9, 2})
            .dscp(46).udp(40_000, 9000).payload(58).build();
    static final int TAGGED_COUNT = 25;

    /** UDP, fragmented UDP, ICMP and TCP over both families from a to b, and tagged UDP frames on VLAN 300. */
    private static void traffic(Host a, Host b, boolean tagged) throws Exception {
        Traffic.udp(a, b, false, 300, 100);
        Traffic.udp(a, b, true, 200, 1000);
        Traffic.udp(a, b, false, 20, 3000, 9002); // three IPv4 fragments each at veth's 1500-byte MTU
        Traffic.udp(a, b, true, 20, 3000, 9002);
        Traffic.ping(a, b, false, 5);
        Traffic.ping(a, b, true, 5);
        Traffic.tcp(a, b, false, 200_000);
        Traffic.tcp(a, b, true, 300_000);
        if (tagged) {
            byte[] frame = Frame.ethernet(a.mac(), b.mac()).vlan(300).ipv4(new byte[] {10, 9, 9, 1}, new byte[] {10, 9, 9, 2})
                    .dscp(46).udp(40_000, 9000).payload(58).build();
            byte[] triple = Frame.ethernet(a.mac(), b.mac()).vlan(io.packetlens.packet.EtherType.QINQ, 301).vlan(302).vlan(303)
                    .ipv4(new byte[] {10, 9, 9, 3}, new byte[] {10, 9, 9, 2}).udp(40_001, 9000).payload(58).build();
            a.run(() -> {
                try (NativeSocket s = NativeSocket.packet().bindToInterface(a.ifindex())) {
                    for (int i = 0; i < TAGGED_COUNT; i++) s.send(frame);
                    for (int i = 0; i < 10; i++) s.send(triple);
                }
            });
        }
        Thread.sleep(300);
    }

    /** The VLAN 300 flow holds every tagged frame at its full wire length; the three-tag frames made no flow. */
    private static void assertTagged(Map<FlowKey, Sum> k) {
        var tagged = k.entrySet().stream().filter(e -> e.getKey().vlan() == 300).map(Map.Entry::getValue).toList();
        assertThat(tagged).as("the VLAN 300 flow").hasSize(1);
        assertThat(tagged.getFirst().packets()).isEqualTo(TAGGED_COUNT);
        assertThat(tagged.getFirst().bytes()).as("frame bytes, the 4-byte tag included").isEqualTo((long) TAGGED_COUNT * TAGGED.length);
        assertThat(tagged.getFirst().min()).as("IP total length").isEqualTo(TAGGED.length - 18);
        InetAddress three = InetAddress.ofLiteral("10.9.9.3");
        assertThat(k.keySet()).as("three tags are not IP to the parser").noneMatch(x -> x.source().equals(three));
    }

    private static Predicate<FlowKey> between(Host a, Host b) {
        InetAddress a4 = InetAddress.ofLiteral(a.ipv4()), a6 = InetAddress.ofLiteral(a.ipv6());
        InetAddress b4 = InetAddress.ofLiteral(b.ipv4()), b6 = InetAddress.ofLiteral(b.ipv6());
        InetAddress v1 = InetAddress.ofLiteral("10.9.9.1");
        InetAddress v3 = InetAddress.ofLiteral("10.9.9.3");
        return k -> k.source().equals(a4) || k.source().equals(a6) || k.source().equals(v1) || k.source().equals(v3)
                || k.source().equals(b4) || k.source().equals(b6);
    }

    @Test
    void atXdpTheFallbacksRecordsAreTheKernelProgramsRecords() throws Exception {
        List<FinishedFlow> kernel = new ArrayList<>(), fallback = new ArrayList<>();
        FlowConfig config = FlowConfig.defaults().hooks(EnumSet.of(FlowProgram.Hook.XDP));
        try (Lab lab = Lab.create(); FlowProgram program = FlowProgram.load(config); PacketFlows flows = new PacketFlows(config, FlowClock.system());
             FlowAggregator kAgg = new FlowAggregator(program, kernel::add); FlowAggregator fAgg = new FlowAggregator(flows, fallback::add)) {
            Host a = lab.a(), b = lab.b();
            b.run(() -> program.attachXdp(b.ifname(), XdpMode.DRIVER));
            b.run(() -> flows.attach(b.ifname()));
            traffic(a, b, true);
            program.detachAll();
            flows.detachAll();
            kAgg.flush();
            fAgg.flush();

            Map<FlowKey, Sum> k = byFlow(kernel, between(a, b)), f = byFlow(fallback, between(a, b));
            assertThat(k.keySet()).as("UDP, fragments, ICMP, TCP in two families, tagged UDP").hasSizeGreaterThanOrEqualTo(9);
            assertThat(k.keySet().stream().filter(x -> x.vlan() == 300)).as("the tagged flow").hasSize(1);
            assertTagged(k);
            assertThat(k.values().stream().filter(Sum::fragments)).as("fragmented flows").isNotEmpty();
            assertThat(f).isEqualTo(k);
            assertThat(fallback).allMatch(FinishedFlow::fallback);
            assertThat(kernel).noneMatch(FinishedFlow::fallback);
            assertThat(flows.counters()).isEqualTo(LossCounters.ZERO);
            assertThat(flows.statistics().drops()).isZero();
            assertThat(flows.rings()).as("closed by detachAll").isEmpty();
        }
    }

    @Test
    void atTcBothWaysTheFallbacksRecordsAreTheKernelProgramsRecords() throws Exception {
        List<FinishedFlow> kernel = new ArrayList<>(), fallback = new ArrayList<>();
        FlowConfig config = FlowConfig.defaults().hooks(EnumSet.of(FlowProgram.Hook.TC_INGRESS, FlowProgram.Hook.TC_EGRESS));
        try (Lab lab = Lab.create(); FlowProgram program = FlowProgram.load(config); PacketFlows flows = new PacketFlows(config, FlowClock.system());
             FlowAggregator kAgg = new FlowAggregator(program, kernel::add); FlowAggregator fAgg = new FlowAggregator(flows, fallback::add)) {
            Host a = lab.a(), b = lab.b();
            b.run(() -> {
                program.attach(FlowProgram.Hook.TC_INGRESS, p -> TcLink.attach(p, b.ifname(), TcDirection.INGRESS));
                program.attach(FlowProgram.Hook.TC_EGRESS, p -> TcLink.attach(p, b.ifname(), TcDirection.EGRESS));
                flows.attach(b.ifname());
            });
            // tagged frames too: at TC the receive path has moved the outer tag into skb metadata, and the program
            // counts it back into the frame's bytes and towards the two tags it parses, as XDP sees the frame
            traffic(a, b, true);
            program.detachAll();
            flows.detachAll();
            kAgg.flush();
            fAgg.flush();

            Map<FlowKey, Sum> k = byFlow(kernel, between(a, b)), f = byFlow(fallback, between(a, b));
            assertThat(k.keySet().stream().filter(x -> x.direction() == Direction.EGRESS)).as("b's replies: pings, TCP").isNotEmpty();
            assertTagged(k);
            assertThat(f).isEqualTo(k);
            assertThat(fallback).allMatch(FinishedFlow::fallback);
            assertThat(flows.counters()).isEqualTo(LossCounters.ZERO);
        }
    }
}
