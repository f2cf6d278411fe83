package io.packetlens.flow;

import io.packetlens.flow.ReferenceParser.Flow;
import io.packetlens.flow.ReferenceParser.Other;
import io.packetlens.packet.EtherType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;

import static io.packetlens.packet.Frame.ethernet;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flow and "other" keys from hand-checked frames (the parse itself is checked by the packet module's PacketParserTest;
 * the kernel is compared against both, so they must be right on their own).
 */
class ReferenceParserTest {
    private static Flow flow(byte[] frame) {
        return (Flow) ReferenceParser.parse(frame, 7, Direction.EGRESS);
    }

    @Test
    void ipv4UdpWithVlanAndDscp() throws Exception {
        Flow f = flow(ethernet().vlan(100).ipv4("10.1.2.3", "192.168.7.9").tos(0xb8).udp(5353, 53).payload(5).build());
        assertThat(f.key()).isEqualTo(new FlowKey(InetAddress.getByName("10.1.2.3"), InetAddress.getByName("192.168.7.9"),
                5353, 53, 17, 100, 7, Direction.EGRESS));
        assertThat(f.dscp()).isEqualTo(46); // EF
        assertThat(f.fragment()).isFalse();
        assertThat(f.ipLength()).isEqualTo(33);
        assertThat(f.key().toBytes()).startsWith(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3);
    }

    @Test
    void tcpFlagsAndTheAcceleratedVlan() {
        byte[] syn = ethernet().vlan(EtherType.QINQ, 100).vlan(200).ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).tcpFlags(TcpFlags.SYN).build();
        Flow f = flow(syn);
        assertThat(f.key().vlan()).isEqualTo(100);
        assertThat(f.tcpFlags()).isEqualTo(TcpFlags.SYN);
        byte[] innerOnly = ethernet().vlan(200).ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).tcpFlags(TcpFlags.SYN).build();
        Flow accelerated = (Flow) ReferenceParser.parse(innerOnly, Integer.MAX_VALUE, 42, 1, Direction.INGRESS);
        assertThat(accelerated.key().vlan()).as("a tag the device took out is the outermost").isEqualTo(42);
        // the device's tag counts towards the two: QinQ in the frame plus one taken out is three tags, "not IP", as at XDP
        assertThat(ReferenceParser.parse(syn, Integer.MAX_VALUE, 42, 1, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(1, Direction.INGRESS, 0x8100, 0, OtherReason.ETHERTYPE)));
    }

    @Test
    void laterFragmentsBelongToTheFlowOfTheirAddressesAndProtocolWithPorts0() {
        Flow first = flow(ethernet().ipv4("10.1.2.3", "192.168.7.9").fragment(0, true).udp(1000, 2000).payload(40).build());
        Flow later = flow(ethernet().ipv4("10.1.2.3", "192.168.7.9").fragment(185, false).udp(1000, 2000).payload(40).build());
        assertThat(first.key().destinationPort()).isEqualTo(2000);
        assertThat(first.fragment()).isTrue();
        assertThat(later.key()).isEqualTo(new FlowKey(first.key().source(), first.key().destination(), 0, 0, 17, 0, 7, Direction.EGRESS));
        assertThat(later.fragment()).isTrue();
    }

    @Test
    void otherFramesAreKeyedByEthertypeProtocolAndReason() {
        assertThat(ReferenceParser.parse(ethernet().vlan(100).ethertype(EtherType.ARP).payload(28).build(), 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x0806, 0, OtherReason.ETHERTYPE)));
        byte[] tcp = ethernet().ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).build();
        assertThat(ReferenceParser.parse(tcp, 40, -1, 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x0800, 6, OtherReason.TRUNCATED)));
        assertThat(ReferenceParser.parse(tcp, 20, -1, 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x0800, 0, OtherReason.TRUNCATED)));
        byte[] tripleTagged = ethernet().vlan(EtherType.QINQ, 1).vlan(2).vlan(3).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
        assertThat(ReferenceParser.parse(tripleTagged, 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x8100, 0, OtherReason.ETHERTYPE)));
        byte[] shortIhl = ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
        shortIhl[14] = 0x44;
        assertThat(ReferenceParser.parse(shortIhl, 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x0800, 0, OtherReason.MALFORMED)));
    }

    @Test
    void keysSurviveTheKernelLayout() {
        for (Frames.Frame fr : Frames.all()) {
            if (ReferenceParser.parse(fr.bytes(), 5, Direction.INGRESS) instanceof Flow f) {
                byte[] b = f.key().toBytes();
                assertThat(FlowKey.read(MemorySegment.ofArray(b), 0)).isEqualTo(f.key());
            }
        }
    }
}
