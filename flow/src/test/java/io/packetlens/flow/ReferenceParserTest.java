package io.packetlens.flow;

import io.packetlens.flow.Frames.Ext;
import io.packetlens.flow.ReferenceParser.Flow;
import io.packetlens.flow.ReferenceParser.Other;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The reference parser on hand-checked frames (the kernel is compared against it, so it must be right on its own). */
class ReferenceParserTest {
    private static final int[] NO_TAGS = {};

    private static Flow flow(byte[] frame) {
        return (Flow) ReferenceParser.parse(frame, 7, Direction.EGRESS);
    }

    @Test
    void ipv4UdpWithVlanAndDscp() throws Exception {
        Flow f = flow(Frames.eth(new int[]{0x8100}, 0x0800, Frames.ipv4(17, 0xb8, 0, 0, Frames.udp(5353, 53, 5))));
        assertThat(f.key()).isEqualTo(new FlowKey(InetAddress.getByName("10.1.2.3"), InetAddress.getByName("192.168.7.9"),
                5353, 53, 17, 100, 7, Direction.EGRESS));
        assertThat(f.dscp()).isEqualTo(46); // EF
        assertThat(f.fragment()).isFalse();
        assertThat(f.key().toBytes()).startsWith(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3);
    }

    @Test
    void qinqRecordsTheOuterVlanId() {
        Flow f = flow(Frames.eth(new int[]{0x88a8, 0x8100}, 0x0800, Frames.ipv4(6, 0, 0, 0, Frames.tcp(1, 2, TcpFlags.SYN, 0))));
        assertThat(f.key().vlan()).isEqualTo(100);
        assertThat(f.tcpFlags()).isEqualTo(TcpFlags.SYN);
        Flow accelerated = (Flow) ReferenceParser.parse(Frames.eth(new int[]{0x8100}, 0x0800,
                Frames.ipv4(6, 0, 0, 0, Frames.tcp(1, 2, 0, 0))), Integer.MAX_VALUE, 42, 1, Direction.INGRESS);
        assertThat(accelerated.key().vlan()).as("a tag the device took out is the outermost").isEqualTo(42);
    }

    @Test
    void ipv4OptionsAreSkipped() {
        Flow f = flow(Frames.eth(NO_TAGS, 0x0800, Frames.ipv4(6, 0, 10, 0, Frames.tcp(1234, 80, TcpFlags.SYN | TcpFlags.ACK, 0))));
        assertThat(f.key().sourcePort()).isEqualTo(1234);
        assertThat(f.key().destinationPort()).isEqualTo(80);
        assertThat(TcpFlags.toString(f.tcpFlags())).isEqualTo("SYN|ACK");
    }

    @Test
    void laterFragmentsHaveNoPortsButKeepTheirAddressesAndProtocol() {
        Flow first = flow(Frames.eth(NO_TAGS, 0x0800, Frames.ipv4(17, 0, 0, 0x2000, Frames.udp(1000, 2000, 40))));
        Flow later = flow(Frames.eth(NO_TAGS, 0x0800, Frames.ipv4(17, 0, 0, 185, Frames.udp(1000, 2000, 40))));
        assertThat(first.key().destinationPort()).isEqualTo(2000);
        assertThat(first.fragment()).isTrue();
        assertThat(later.key()).isEqualTo(new FlowKey(first.key().source(), first.key().destination(), 0, 0, 17, 0, 7, Direction.EGRESS));
        assertThat(later.fragment()).isTrue();

        Flow v6later = flow(Frames.eth(NO_TAGS, 0x86dd, Frames.ipv6(0, List.of(Ext.fragment(9, false)), 6, Frames.tcp(1, 2, 0, 0))));
        assertThat(v6later.key().protocol()).isEqualTo(6);
        assertThat(v6later.key().sourcePort()).isZero();
        assertThat(v6later.key().isIpv4()).isFalse();
    }

    @Test
    void ipv6ExtensionHeadersAreWalked() throws Exception {
        List<Ext> chain = List.of(Ext.options(IpProtocols.HOPOPTS, 0), Ext.ah(4), Ext.options(IpProtocols.DSTOPTS, 2),
                Ext.fragment(0, true));
        Flow f = flow(Frames.eth(NO_TAGS, 0x86dd, Frames.ipv6(0x28, chain, 17, Frames.udp(1234, 4789, 0))));
        assertThat(f.key().source()).isEqualTo(InetAddress.getByName("fd00::1"));
        assertThat(f.key().destination()).isEqualTo(InetAddress.getByName("2001:db8::ab:2"));
        assertThat(f.key().destinationPort()).isEqualTo(4789);
        assertThat(f.dscp()).isEqualTo(10); // AF11
        assertThat(f.fragment()).isTrue();
    }

    @Test
    void icmpCarriesTypeAndCodeInTheDestinationPort() {
        Flow v4 = flow(Frames.eth(NO_TAGS, 0x0800, Frames.ipv4(1, 0, 0, 0, Frames.icmp(3, 4, 0))));
        assertThat(v4.key().icmpType()).isEqualTo(3);
        assertThat(v4.key().icmpCode()).isEqualTo(4);
        assertThat(v4.key().sourcePort()).isZero();
        Flow v6 = flow(Frames.eth(NO_TAGS, 0x86dd, Frames.ipv6(0, List.of(), 58, Frames.icmp(128, 0, 0))));
        assertThat(v6.key().destinationPort()).isEqualTo(128 << 8);
        Flow icmpInV6 = flow(Frames.eth(NO_TAGS, 0x86dd, Frames.ipv6(0, List.of(), 1, Frames.icmp(8, 0, 0))));
        assertThat(icmpInV6.key().destinationPort()).as("ICMPv4 inside IPv6 is just another protocol").isZero();
    }

    @Test
    void otherFramesAreKeyedByEthertypeProtocolAndReason() {
        assertThat(ReferenceParser.parse(Frames.eth(new int[]{0x8100}, 0x0806, new byte[28]), 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x0806, 0, OtherReason.ETHERTYPE)));
        byte[] tcp = Frames.eth(NO_TAGS, 0x0800, Frames.ipv4(6, 0, 0, 0, Frames.tcp(1, 2, 0, 0)));
        assertThat(ReferenceParser.parse(tcp, 40, -1, 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x0800, 6, OtherReason.TRUNCATED)));
        assertThat(ReferenceParser.parse(tcp, 20, -1, 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x0800, 0, OtherReason.TRUNCATED)));
        byte[] tripleTagged = Frames.eth(new int[]{0x88a8, 0x8100, 0x8100}, 0x0800, Frames.ipv4(17, 0, 0, 0, Frames.udp(1, 2, 0)));
        assertThat(ReferenceParser.parse(tripleTagged, 3, Direction.INGRESS))
                .isEqualTo(new Other(new OtherKey(3, Direction.INGRESS, 0x8100, 0, OtherReason.ETHERTYPE)));
    }

    @Test
    void keysSurviveTheKernelLayout() {
        for (Frames.Frame fr : Frames.all()) {
            if (ReferenceParser.parse(fr.bytes(), 5, Direction.INGRESS) instanceof Flow f) {
                byte[] b = f.key().toBytes();
                assertThat(FlowKey.read(java.lang.foreign.MemorySegment.ofArray(b), 0)).isEqualTo(f.key());
            }
        }
    }
}
