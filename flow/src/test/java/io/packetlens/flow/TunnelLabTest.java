package io.packetlens.flow;

import io.packetlens.ebpf.link.TcDirection;
import io.packetlens.ebpf.link.TcLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.lab.Vxlan;
import io.packetlens.packet.Decapsulation;
import io.packetlens.packet.IpProtocol;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Traffic through real kernel vxlan devices (VNI 42 over the lab's veth pair), counted on the receiver's veth: the flow
 * is the inner packet's, with the tunnel and its outer addresses, and holds every datagram sent, byte for byte; with
 * decapsulation off the same traffic is one outer UDP flow to port 4789. The same counts at XDP, at TC, and by the
 * AF_PACKET fallback, which parses with the Java twin of the kernel's decapsulation.
 */
@KernelTest
class TunnelLabTest {
    private static final int VNI = 42, COUNT = 150, PAYLOAD = 60;
    private static final String INNER_A = Vxlan.INNER_A, INNER_B = Vxlan.INNER_B;
    /** Outer Ethernet, IPv4, UDP and VXLAN headers, then the inner frame: Ethernet, IPv4, UDP, payload. */
    private static final int FRAME = Vxlan.OVERHEAD + 20 + 8 + PAYLOAD, INNER_IP = 20 + 8 + PAYLOAD;

    enum Counter { XDP, TC, FALLBACK }

    @ParameterizedTest
    @EnumSource(Counter.class)
    void aVxlanFlowIsItsInnerPacketWithTheTunnelAndEveryDatagram(Counter counter) throws Exception {
        List<FinishedFlow> records = count(counter, Decapsulation.DEFAULT);
        FinishedFlow f = only(records, r -> r.key().tunnel().isTunnel());
        FlowKey k = f.key();
        assertThat(k.tunnel()).isEqualTo(Tunnel.vxlan(VNI));
        assertThat(k.protocol()).isEqualTo(IpProtocol.UDP);
        assertThat(k.source()).isEqualTo(InetAddress.ofLiteral(INNER_A));
        assertThat(k.destination()).isEqualTo(InetAddress.ofLiteral(INNER_B));
        assertThat(k.destinationPort()).isEqualTo(Traffic.UDP_PORT);
        assertThat(f.packets()).isEqualTo(COUNT);
        assertThat(f.bytes()).as("whole outer frames").isEqualTo((long) COUNT * FRAME);
        assertThat(f.ipBytes()).as("the inner packets' IP octets").isEqualTo((long) COUNT * INNER_IP);
        assertThat(f.minLength()).isEqualTo(INNER_IP);
        assertThat(f.fallback()).isEqualTo(counter == Counter.FALLBACK);
        assertThat(f.outer()).as("the tunnel's ends").isNotNull();
        assertThat(records).as("nothing else but the tunnel's traffic").allMatch(r -> r.key().tunnel().isTunnel());
    }

    @Test
    void withDecapsulationOffTheTunnelIsOneOuterUdpFlow() throws Exception {
        List<FinishedFlow> records = count(Counter.TC, Decapsulation.OFF);
        FinishedFlow f = only(records, r -> r.key().protocol() == IpProtocol.UDP && r.key().destinationPort() == Decapsulation.VXLAN_PORT);
        assertThat(f.key().tunnel()).isEqualTo(Tunnel.NONE);
        assertThat(f.outer()).isNull();
        assertThat(f.packets()).isEqualTo(COUNT);
        assertThat(f.bytes()).isEqualTo((long) COUNT * FRAME);
        assertThat(f.ipBytes()).as("the outer packets' IP octets").isEqualTo((long) COUNT * (FRAME - 14));
    }

    private static FinishedFlow only(List<FinishedFlow> records, java.util.function.Predicate<FinishedFlow> which) {
        List<FinishedFlow> mine = records.stream().filter(which).toList();
        assertThat(mine.stream().map(FinishedFlow::key).distinct()).as("one flow in %s", records).hasSize(1);
        FinishedFlow first = mine.getFirst();
        long packets = mine.stream().mapToLong(FinishedFlow::packets).sum(), bytes = mine.stream().mapToLong(FinishedFlow::bytes).sum();
        long ip = mine.stream().mapToLong(FinishedFlow::ipBytes).sum();
        return new FinishedFlow(first.key(), packets, bytes, ip, first.start(), first.end(), first.startNanos(), first.endNanos(),
                first.tcpFlags(), first.minLength(), first.maxLength(), first.dscp(), first.fragments(), first.reason(), first.fallback(),
                null, first.outer());
    }

    /** Sends {@link #COUNT} datagrams a -> b through the vxlan devices and returns what {@code counter} on b's veth made of them. */
    private static List<FinishedFlow> count(Counter counter, Decapsulation d) throws Exception {
        List<FinishedFlow> records = new ArrayList<>();
        FlowConfig config = FlowConfig.defaults().decapsulation(d)
                .hooks(EnumSet.of(counter == Counter.XDP ? FlowProgram.Hook.XDP : FlowProgram.Hook.TC_INGRESS));
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Vxlan.create(lab, VNI);
            if (counter == Counter.FALLBACK) {
                try (PacketFlows flows = new PacketFlows(config, FlowClock.system());
                     FlowAggregator agg = new FlowAggregator(flows, records::add)) {
                    b.run(() -> flows.attach(b.ifname()));
                    Traffic.udp(a, b, InetAddress.ofLiteral(INNER_B), COUNT, PAYLOAD, Traffic.UDP_PORT);
                    flows.detachAll();
                    agg.flush();
                    assertThat(flows.counters()).isEqualTo(LossCounters.ZERO);
                }
            } else {
                try (FlowProgram program = FlowProgram.load(config); FlowAggregator agg = new FlowAggregator(program, records::add)) {
                    b.run(() -> {
                        if (counter == Counter.XDP) program.attachXdp(b.ifname(), XdpMode.DRIVER);
                        else program.attach(FlowProgram.Hook.TC_INGRESS, p -> TcLink.attach(p, b.ifname(), TcDirection.INGRESS));
                    });
                    Traffic.udp(a, b, InetAddress.ofLiteral(INNER_B), COUNT, PAYLOAD, Traffic.UDP_PORT);
                    program.detachAll();
                    agg.flush();
                    assertThat(program.counters()).isEqualTo(LossCounters.ZERO);
                    assertThat(agg.totals().other()).as("no frame of the lab link left the flows").isEqualTo(Count.ZERO);
                }
            }
        }
        return records;
    }
}
