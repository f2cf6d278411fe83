package io.packetlens.programs.capture;

import io.packetlens.ebpf.TestRun;
import io.packetlens.packet.EtherType;
import io.packetlens.packet.Frame;
import io.packetlens.packet.PacketParser;
import io.packetlens.packet.ParsedPacket;
import io.packetlens.programs.filter.AddressTerm;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.programs.filter.Direction;
import io.packetlens.programs.filter.PortTerm;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernel filter reads frames with the flow program's parser: for every filter below and every frame (IPv6
 * extension headers, AH, fragments, VLAN tags, malformed and cut frames), the kernel's verdict is the filter's terms
 * applied to what {@link PacketParser} reads.
 */
@KernelTest
class CaptureFilterFramesTest {
    private static final List<String> FILTERS = List.of("udp", "tcp or sctp", "proto 44", "proto 51", "ip6", "ip",
            "udp port 53", "dst port 53", "src port 40000", "port 443 or port 53", "host 10.0.0.2",
            "src net 10.0.0.0/8 and dst host 10.0.0.2", "ip6 and net fd00::/16 and port 443", "icmp6 or icmp");

    private static List<byte[]> frames() {
        List<Frame> built = new ArrayList<>();
        for (int tags = 0; tags <= 2; tags++) {
            for (int fi = 0; fi < 3; fi++) {
                Frame v4 = link(tags).ipv4("10.0.0.1", "10.0.0.2");
                if (fi == 1) v4.fragment(0, true);
                if (fi == 2) v4.fragment(100, false);
                built.add(v4.udp(40000, 53).payload(20));
            }
            built.add(link(tags).ipv4("10.0.0.1", "192.168.1.9").options(new byte[8]).tcp(40000, 443));
            built.add(link(tags).ipv4("10.0.0.1", "10.0.0.2").icmp(8, 0));
            built.add(link(tags).ipv4("192.168.0.1", "10.0.0.2").sctp(53, 40000));
            for (int chain = 0; chain < 7; chain++) {
                Frame v6 = link(tags).ipv6("fd00::1", "fd00:1::2");
                switch (chain) {
                    case 1 -> v6.hopByHop(0).routing(1).destinationOptions(0);
                    case 2 -> v6.fragment(0, true);
                    case 3 -> v6.fragment(50, false);
                    case 4 -> v6.authentication(4);
                    case 5 -> v6.hopByHop(0).destinationOptions(0).destinationOptions(0).destinationOptions(0).routing(0);
                    case 6 -> {
                        v6.hopByHop(0);
                        for (int i = 0; i < 8; i++) v6.destinationOptions(0);
                    }
                    default -> {
                    }
                }
                built.add(chain % 2 == 0 ? v6.tcp(5555, 443) : v6.udp(40000, 53).payload(4));
            }
            built.add(link(tags).ipv6("fd00::1", "fd00:1::2").icmpv6(128, 0));
            built.add(link(tags).ethertype(EtherType.ARP).payload(28));
        }
        List<byte[]> out = new ArrayList<>();
        for (Frame f : built) {
            byte[] whole = f.build();
            out.add(whole);
            // cut inside the transport header, and inside the IP header
            out.add(Arrays.copyOf(whole, whole.length - 18));
            out.add(Arrays.copyOf(whole, Math.min(whole.length, 14 + 4 * tags(whole) + 12)));
        }
        byte[] shortIhl = Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(40000, 53).build();
        shortIhl[14] = 0x44;
        out.add(shortIhl);
        return out;
    }

    private static int tags(byte[] f) {
        int n = 0;
        while (n < 2 && ((f[12 + 4 * n] & 0xff) << 8 | (f[13 + 4 * n] & 0xff)) == EtherType.VLAN
                || n < 2 && ((f[12 + 4 * n] & 0xff) << 8 | (f[13 + 4 * n] & 0xff)) == EtherType.QINQ) n++;
        return n;
    }

    private static Frame link(int tags) {
        Frame f = Frame.ethernet();
        if (tags == 2) f.vlan(EtherType.QINQ, 5);
        if (tags >= 1) f.vlan(6);
        return f;
    }

    /** The filter's semantics (packetlens_filter.h) over what the parser read. */
    static boolean expected(CaptureFilter f, ParsedPacket p) {
        if (f.matchesEverything()) return true;
        if (p.ipVersion() == 0) return false;
        if (!f.families().isEmpty() && !f.families().contains(p.ipVersion())) return false;
        if (!f.protocols().isEmpty() && !f.protocols().contains(p.lastProtocol())) return false;
        byte[] src = p.source().getAddress(), dst = p.destination().getAddress();
        if (!directions(f.addresses(), AddressTerm::direction, t -> covers(t, src), t -> covers(t, dst))) return false;
        if (!f.ports().isEmpty()) {
            if (!p.hasPorts()) return false;
            return directions(f.ports(), PortTerm::direction, t -> t.port() == p.sourcePort(), t -> t.port() == p.destinationPort());
        }
        return true;
    }

    private static boolean covers(AddressTerm t, byte[] address) {
        return t.address().length == address.length && t.covers(new AddressTerm(Direction.ANY, address, address.length * 8));
    }

    /** Terms of each direction present: some SRC term holds for the source, some DST term for the destination, some ANY for either. */
    private static <T> boolean directions(List<T> terms, java.util.function.Function<T, Direction> dir, Predicate<T> src, Predicate<T> dst) {
        for (Direction d : Direction.values()) {
            List<T> of = terms.stream().filter(t -> dir.apply(t) == d).toList();
            if (of.isEmpty()) continue;
            boolean ok = switch (d) {
                case SRC -> of.stream().anyMatch(src);
                case DST -> of.stream().anyMatch(dst);
                case ANY -> of.stream().anyMatch(src.or(dst));
            };
            if (!ok) return false;
        }
        return true;
    }

    @Test
    void theKernelFilterMatchesWhatTheParserReads() throws Exception {
        List<byte[]> frames = frames();
        List<String> mismatches = new ArrayList<>();
        int matched = 0;
        try (CaptureProgram p = CaptureProgram.load(CaptureFilter.all(), 256, 1 << 16)) {
            for (String expression : FILTERS) {
                CaptureFilter filter = CaptureFilter.parse(expression);
                p.filter(filter, 256);
                for (byte[] frame : frames) {
                    long before = p.counters().matched();
                    p.program(CaptureMode.MIRROR).testRun(TestRun.of(frame));
                    boolean kernel = p.counters().matched() - before == 1;
                    ParsedPacket parsed = PacketParser.parse(frame);
                    if (kernel != expected(filter, parsed)) mismatches.add(expression + ": kernel " + kernel + " for " + parsed);
                    if (kernel) matched++;
                }
            }
        }
        assertThat(mismatches).as("%d disagreements; first: %s", mismatches.size(), mismatches.stream().limit(10).toList()).isEmpty();
        assertThat(matched).as("the filters match something").isGreaterThan(FILTERS.size() * 5);
        // the cases the shared parser changed: IPv6 fragments and AH are walked to the upper-layer protocol
        CaptureFilter udp53 = CaptureFilter.parse("udp port 53");
        ParsedPacket firstFragment = PacketParser.parse(Frame.ethernet().ipv6("fd00::1", "fd00:1::2").fragment(0, true).udp(1, 53).build());
        ParsedPacket laterFragment = PacketParser.parse(Frame.ethernet().ipv6("fd00::1", "fd00:1::2").fragment(9, false).udp(1, 53).build());
        ParsedPacket ah = PacketParser.parse(Frame.ethernet().ipv6("fd00::1", "fd00:1::2").authentication(4).udp(1, 53).build());
        assertThat(expected(udp53, firstFragment)).isTrue();
        assertThat(expected(udp53, laterFragment)).isFalse();
        assertThat(expected(CaptureFilter.parse("udp"), laterFragment)).isTrue();
        assertThat(expected(udp53, ah)).isTrue();
        assertThat(InetAddress.getByAddress(firstFragment.source().getAddress())).isEqualTo(InetAddress.getByName("fd00::1"));
    }
}
