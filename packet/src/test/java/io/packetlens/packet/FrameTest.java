package io.packetlens.packet;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Built frames parse back to what was asked for, with lengths and checksums right (checked here and by tshark). */
class FrameTest {
    /** A built frame and its number of VLAN tags. */
    record Built(int tags, byte[] bytes) {}

    /** One frame of every header combination the builder offers. */
    static List<Built> everyKind() {
        List<Built> out = new ArrayList<>();
        for (int tags = 0; tags <= 2; tags++) {
            for (int transport = 0; transport < 6; transport++) {
                Frame v4 = link(tags).ipv4("10.1.2.3", "192.168.7.9").tos(0xb8).ttl(7).identification(0x1234).dontFragment();
                if (transport % 2 == 1) v4.options(new byte[] {1, 1, 1, 0});
                out.add(new Built(tags, transport(v4, transport, false).payload(17).build()));
                Frame v6 = link(tags).ipv6("fd00::1", "2001:db8::ab:2").tos(0x28).flowLabel(0x12345);
                if (transport % 2 == 1) v6.hopByHop(0).routing(1).destinationOptions(1);
                out.add(new Built(tags, transport(v6, transport, true).payload(300).build()));
            }
        }
        return out;
    }

    private static Frame link(int tags) {
        Frame f = Frame.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02");
        if (tags == 2) f.vlan(EtherType.QINQ, 300);
        if (tags >= 1) f.vlan(100);
        return f;
    }

    private static Frame transport(Frame f, int kind, boolean v6) {
        return switch (kind) {
            case 0 -> f.udp(5353, 53);
            case 1 -> f.tcp(40000, 443).tcpFlags(0x12).sequence(0xfffffff0L).acknowledgment(7).window(1000);
            case 2 -> v6 ? f.icmpv6(128, 0).rest(7, 1) : f.icmp(8, 0).rest(7, 1);
            case 3 -> f.sctp(2905, 2906).verificationTag(0xcafe);
            case 4 -> f.udp(1, 2);
            default -> f.protocol(IpProtocol.GRE);
        };
    }

    @Test
    void framesParseBackWithTheirLengthsAndChecksums() throws Exception {
        for (Built built : everyKind()) {
            byte[] f = built.bytes();
            ParsedPacket p = PacketParser.parse(f);
            assertThat(p.status()).as("%s", p).isEqualTo(ParseStatus.OK);
            assertThat(p.vlan()).isEqualTo(built.tags() == 0 ? 0 : built.tags() == 1 ? 100 : 300);
            int l3 = 14 + 4 * built.tags();
            assertThat(p.ipLength()).as("IP length of %s", p).isEqualTo(f.length - l3);
            ByteBuffer b = ByteBuffer.wrap(f);
            if (p.ipVersion() == 4) {
                assertThat(p.source()).isEqualTo(InetAddress.getByName("10.1.2.3"));
                int hlen = (f[l3] & 0x0f) * 4;
                assertThat(Checksums.verifies(f, l3, hlen, 0)).as("IPv4 header checksum").isTrue();
                assertThat(b.get(l3 + 8)).isEqualTo((byte) 7);
                assertThat(b.getShort(l3 + 6)).isEqualTo((short) 0x4000);
                assertThat(p.dscp()).isEqualTo(46);
                checkTransport(f, p, l3 + hlen, f.length - l3 - hlen, InetAddress.getByName("10.1.2.3").getAddress(),
                        InetAddress.getByName("192.168.7.9").getAddress());
            } else {
                assertThat(p.destination()).isEqualTo(InetAddress.getByName("2001:db8::ab:2"));
                assertThat(b.getInt(l3) & 0xfffff).isEqualTo(0x12345);
                assertThat(p.dscp()).isEqualTo(10);
                assertThat(p.fragment()).isFalse();
                int l4 = l3 + 40 + (b.get(l3 + 6) == IpProtocol.HOPOPTS ? 8 + 16 + 16 : 0);
                checkTransport(f, p, l4, f.length - l4, InetAddress.getByName("fd00::1").getAddress(),
                        InetAddress.getByName("2001:db8::ab:2").getAddress());
            }
        }
    }

    private static void checkTransport(byte[] f, ParsedPacket p, int l4, int len, byte[] src, byte[] dst) {
        ByteBuffer b = ByteBuffer.wrap(f);
        long pseudo = Checksums.pseudoHeader(src, dst, p.protocol(), len);
        switch (p.protocol()) {
            case IpProtocol.UDP -> {
                assertThat(Short.toUnsignedInt(b.getShort(l4 + 4))).as("UDP length").isEqualTo(len);
                assertThat(Checksums.verifies(f, l4, len, pseudo)).as("UDP checksum").isTrue();
            }
            case IpProtocol.TCP -> {
                assertThat(p.tcpFlags()).isEqualTo(0x12);
                assertThat(b.getInt(l4 + 4)).isEqualTo(0xfffffff0);
                assertThat(Checksums.verifies(f, l4, len, pseudo)).as("TCP checksum").isTrue();
            }
            case IpProtocol.ICMP -> assertThat(Checksums.verifies(f, l4, len, 0)).as("ICMP checksum").isTrue();
            case IpProtocol.ICMPV6 -> assertThat(Checksums.verifies(f, l4, len, pseudo)).as("ICMPv6 checksum").isTrue();
            case IpProtocol.SCTP -> assertThat(p.destinationPort()).isEqualTo(2906);
            case IpProtocol.GRE -> assertThat(len).isEqualTo(p.ipVersion() == 4 ? 17 : 300);
            default -> throw new AssertionError("protocol " + p.protocol());
        }
    }

    @Test
    void tsharkFindsEveryChecksumGood() throws Exception {
        List<byte[]> frames = everyKind().stream().map(Built::bytes).toList();
        Path pcap = Files.createTempFile("pl-packet", ".pcap");
        try {
            writePcap(pcap, frames);
            List<String> lines = tshark(pcap, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                    "-o", "tcp.check_checksum:TRUE", "-o", "sctp.checksum:CRC-32C", "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "separator=,",
                    "-e", "ip.checksum.status", "-e", "udp.checksum.status", "-e", "tcp.checksum.status",
                    "-e", "icmp.checksum.status", "-e", "icmpv6.checksum.status", "-e", "sctp.checksum.status");
            assertThat(lines).hasSize(frames.size());
            int checked = 0;
            for (String line : lines) {
                // 1 = good, 0 = bad, 2 = not checked; GRE frames only have the IPv4 header's (or nothing)
                for (String status : line.split(",", -1)) {
                    if (status.isEmpty()) continue;
                    assertThat(status).as("frame fields %s", line).isEqualTo("1");
                    checked++;
                }
            }
            // 18 IPv4 headers, and the transport of every frame but the 6 GRE ones
            assertThat(checked).as("checksums tshark verified").isEqualTo(18 + frames.size() - 6);
        } finally {
            Files.deleteIfExists(pcap);
        }
    }

    @Test
    void pushVlanInsertsATagAfterTheMacs() {
        byte[] plain = Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
        byte[] tagged = Frame.pushVlan(plain, EtherType.VLAN, 7);
        assertThat(tagged).isEqualTo(Frame.ethernet().vlan(7).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build());
        assertThat(PacketParser.parse(tagged).vlan()).isEqualTo(7);
    }

    @Test
    void anIpPacketHasNoLinkLayerAndRawPayloadsAreKeptAsGiven() {
        byte[] ip = Frame.ipPacket().ipv4("10.0.0.1", "10.0.0.2").protocol(IpProtocol.ESP).payload(new byte[] {9, 9}).build();
        assertThat(ip).hasSize(22);
        assertThat(ip[0]).isEqualTo((byte) 0x45);
        assertThat(ip[9]).isEqualTo((byte) IpProtocol.ESP);
        byte[] lldp = Frame.ethernet().ethertype(EtherType.LLDP).payload(3).build();
        assertThat(lldp).containsExactly(2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xcc - 256, 0, 1, 2);
    }

    @Test
    void layersOutOfOrderOrOutOfRangeAreRefused() {
        assertThatThrownBy(() -> Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").vlan(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Frame.ethernet().vlan(4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(70000, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").build()).hasMessageContaining("needs a transport");
        assertThatThrownBy(() -> Frame.ethernet().ipv6("::1", "::2").udp(1, 2).hopByHop(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Frame.ethernet().ipv4("::1", "::2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).tcpFlags(2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").options(new byte[3])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Frame.ipPacket().vlan(3)).isInstanceOf(IllegalStateException.class);
    }

    /** A classic pcap file (microsecond timestamps, Ethernet link type). */
    static void writePcap(Path path, List<byte[]> frames) throws IOException {
        int size = 24 + frames.stream().mapToInt(f -> 16 + f.length).sum();
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        int i = 0;
        for (byte[] f : frames) b.putInt(1_700_000_000).putInt(i++).putInt(f.length).putInt(f.length).put(f);
        Files.write(path, b.array());
    }

    private static List<String> tshark(Path pcap, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("tshark finished").isTrue();
        assertThat(p.exitValue()).as("tshark exit status (installed by scripts/setup.sh)").isZero();
        return out.lines().toList();
    }
}
