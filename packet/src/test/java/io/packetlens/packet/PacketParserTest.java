package io.packetlens.packet;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The parser on hand-checked frames (the kernel's parser is compared against it, so it must be right on its own). */
class PacketParserTest {
    private static final int SYN = 0x02, ACK = 0x10;

    private static Frame v4() {
        return Frame.ethernet().ipv4("10.1.2.3", "192.168.7.9");
    }

    private static Frame v6() {
        return Frame.ethernet().ipv6("fd00::1", "2001:db8::ab:2");
    }

    @Test
    void ipv4UdpWithVlanAndDscp() throws Exception {
        ParsedPacket p = PacketParser.parse(Frame.ethernet().vlan(100).ipv4("10.1.2.3", "192.168.7.9").tos(0xb8).udp(5353, 53).payload(5).build());
        assertThat(p.status()).isEqualTo(ParseStatus.OK);
        assertThat(p.ethertype()).isEqualTo(EtherType.IPV4);
        assertThat(p.vlan()).isEqualTo(100);
        assertThat(p.ipVersion()).isEqualTo(4);
        assertThat(p.source()).isEqualTo(InetAddress.getByName("10.1.2.3"));
        assertThat(p.destination()).isEqualTo(InetAddress.getByName("192.168.7.9"));
        assertThat(p.sourcePort()).isEqualTo(5353);
        assertThat(p.destinationPort()).isEqualTo(53);
        assertThat(p.protocol()).isEqualTo(IpProtocol.UDP).isEqualTo(p.lastProtocol());
        assertThat(p.dscp()).isEqualTo(46); // EF
        assertThat(p.fragment()).isFalse();
        assertThat(p.ipLength()).isEqualTo(20 + 8 + 5);
        assertThat(p.hasPorts()).isTrue();
    }

    @Test
    void qinqGivesTheOuterVlanIdAndAnAcceleratedTagIsOutermost() {
        byte[] f = Frame.ethernet().vlan(EtherType.QINQ, 0x2000 | 100).vlan(200).ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).tcpFlags(SYN).build();
        ParsedPacket p = PacketParser.parse(f);
        assertThat(p.vlan()).isEqualTo(100);
        assertThat(p.tcpFlags()).isEqualTo(SYN);
        assertThat(PacketParser.parse(f, f.length, 42).vlan()).isEqualTo(42);
        byte[] three = Frame.ethernet().vlan(EtherType.QINQ, 1).vlan(2).vlan(3).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
        ParsedPacket t = PacketParser.parse(three);
        assertThat(t.status()).isEqualTo(ParseStatus.NOT_IP);
        assertThat(t.ethertype()).isEqualTo(EtherType.VLAN);
    }

    @Test
    void ipv4OptionsAreSkipped() {
        ParsedPacket p = PacketParser.parse(v4().options(new byte[40]).tcp(1234, 80).tcpFlags(SYN | ACK).build());
        assertThat(p.sourcePort()).isEqualTo(1234);
        assertThat(p.destinationPort()).isEqualTo(80);
        assertThat(p.tcpFlags()).isEqualTo(SYN | ACK);
        assertThat(p.ipLength()).isEqualTo(60 + 20);
    }

    @Test
    void laterFragmentsHaveNoPortsButKeepTheirAddressesAndProtocol() {
        ParsedPacket first = PacketParser.parse(v4().fragment(0, true).udp(1000, 2000).payload(40).build());
        ParsedPacket later = PacketParser.parse(v4().fragment(185, false).udp(1000, 2000).payload(40).build());
        assertThat(first.destinationPort()).isEqualTo(2000);
        assertThat(first.fragment()).isTrue();
        assertThat(first.laterFragment()).isFalse();
        assertThat(later.status()).isEqualTo(ParseStatus.OK);
        assertThat(later.fragment()).isTrue();
        assertThat(later.laterFragment()).isTrue();
        assertThat(later.sourcePort()).isZero();
        assertThat(later.destinationPort()).isZero();
        assertThat(later.protocol()).isEqualTo(IpProtocol.UDP);
        assertThat(later.source()).isEqualTo(first.source());
        assertThat(later.hasPorts()).isFalse();

        ParsedPacket v6later = PacketParser.parse(v6().fragment(9, false).tcp(1, 2).build());
        assertThat(v6later.protocol()).isEqualTo(IpProtocol.TCP);
        assertThat(v6later.sourcePort()).isZero();
        assertThat(v6later.ipVersion()).isEqualTo(6);
        assertThat(v6later.laterFragment()).isTrue();
    }

    @Test
    void ipv6ExtensionHeadersAreWalked() throws Exception {
        byte[] f = Frame.ethernet().ipv6("fd00::1", "2001:db8::ab:2").tos(0x28)
                .hopByHop(0).authentication(4).destinationOptions(2).fragment(0, true).udp(1234, 4789).build();
        ParsedPacket p = PacketParser.parse(f);
        assertThat(p.status()).isEqualTo(ParseStatus.OK);
        assertThat(p.source()).isEqualTo(InetAddress.getByName("fd00::1"));
        assertThat(p.destination()).isEqualTo(InetAddress.getByName("2001:db8::ab:2"));
        assertThat(p.destinationPort()).isEqualTo(4789);
        assertThat(p.dscp()).isEqualTo(10); // AF11
        assertThat(p.fragment()).isTrue();
        assertThat(p.ipLength()).isEqualTo(f.length - 14);
    }

    @Test
    void moreThanEightExtensionHeadersStopTheWalk() {
        Frame eight = v6().hopByHop(0);
        for (int i = 0; i < 7; i++) eight.destinationOptions(0);
        assertThat(PacketParser.parse(eight.udp(1, 2).build()).status()).isEqualTo(ParseStatus.OK);
        Frame nine = v6().hopByHop(0);
        for (int i = 0; i < 8; i++) nine.destinationOptions(0);
        ParsedPacket p = PacketParser.parse(nine.udp(1, 2).build());
        assertThat(p.status()).isEqualTo(ParseStatus.EXT_LIMIT);
        assertThat(p.lastProtocol()).isEqualTo(IpProtocol.DSTOPTS);
        assertThat(p.ipVersion()).as("the addresses were read").isEqualTo(6);
    }

    @Test
    void icmpCarriesTypeAndCodeInTheDestinationPort() {
        ParsedPacket v4 = PacketParser.parse(v4().icmp(3, 4).build());
        assertThat(v4.destinationPort()).isEqualTo(3 << 8 | 4);
        assertThat(v4.sourcePort()).isZero();
        assertThat(v4.hasPorts()).isFalse();
        assertThat(PacketParser.parse(v6().icmpv6(128, 0).build()).destinationPort()).isEqualTo(128 << 8);
        assertThat(PacketParser.parse(v6().icmp(8, 0).build()).destinationPort()).as("ICMPv4 inside IPv6 is just another protocol").isZero();
    }

    @Test
    void truncatedMalformedAndNonIpFrames() {
        byte[] tcp = v4().tcp(1, 2).build();
        ParsedPacket cutInTcp = PacketParser.parse(tcp, 40, -1);
        assertThat(cutInTcp.status()).isEqualTo(ParseStatus.TRUNCATED);
        assertThat(cutInTcp.lastProtocol()).isEqualTo(IpProtocol.TCP);
        assertThat(cutInTcp.ipVersion()).isEqualTo(4);
        ParsedPacket cutInIp = PacketParser.parse(tcp, 20, -1);
        assertThat(cutInIp.status()).isEqualTo(ParseStatus.TRUNCATED);
        assertThat(cutInIp.lastProtocol()).isZero();
        assertThat(cutInIp.source()).isNull();
        assertThat(PacketParser.parse(Arrays.copyOf(tcp, 13)).ethertype()).isZero();

        ParsedPacket arp = PacketParser.parse(Frame.ethernet().vlan(5).ethertype(EtherType.ARP).payload(28).build());
        assertThat(arp.status()).isEqualTo(ParseStatus.NOT_IP);
        assertThat(arp.ethertype()).isEqualTo(EtherType.ARP);
        assertThat(arp.vlan()).isEqualTo(5);

        byte[] v6inV4 = Frame.ethernet().ethertype(EtherType.IPV4).payload(Frame.ipPacket().ipv6("::1", "::2").udp(1, 2).build()).build();
        assertThat(PacketParser.parse(v6inV4).status()).isEqualTo(ParseStatus.MALFORMED);
        byte[] shortIhl = v4().udp(1, 2).build();
        shortIhl[14] = 0x44;
        assertThat(PacketParser.parse(shortIhl).status()).isEqualTo(ParseStatus.MALFORMED);
    }
}
