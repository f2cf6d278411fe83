package io.packetlens.capture;

import io.packetlens.capture.pcapng.PcapngReader;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.packet.EtherType;
import io.packetlens.packet.Frame;
import io.packetlens.packet.PacketFields;
import io.packetlens.programs.PacketCounter;
import io.packetlens.programs.capture.CaptureMode;
import io.packetlens.programs.capture.CaptureProgram;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Capture's AF_PACKET fallback. Its Java filter gives the kernel filter's verdict on every frame and filter (IPv6
 * extension headers, fragments, VLAN tags, cut frames); with the XDP hook taken by another program the capture falls
 * back and writes a pcapng file tshark reads with exactly the datagrams that match, tagged frames with their tag put
 * back; without fallback the attach error comes out.
 */
@KernelTest
class CaptureFallbackTest {
    private static final List<String> FILTERS = List.of("udp", "tcp or sctp", "proto 44", "ip6", "ip", "udp port 53", "dst port 53",
            "src port 40000", "port 443 or port 53", "host 10.0.0.2", "src net 10.0.0.0/8 and dst host 10.0.0.2",
            "net 192.168.0.0/23", "ip6 and net fd00::/16 and port 443", "dst net fd00:1::/32", "icmp6 or icmp");

    @TempDir
    Path dir;

    private static Frame link(int tags) {
        Frame f = Frame.ethernet();
        if (tags == 2) f.vlan(EtherType.QINQ, 5);
        if (tags >= 1) f.vlan(6);
        return f;
    }

    private static List<byte[]> frames() {
        List<Frame> built = new ArrayList<>();
        for (int tags = 0; tags <= 2; tags++) {
            built.add(link(tags).ipv4("10.0.0.1", "10.0.0.2").udp(40000, 53).payload(20));
            built.add(link(tags).ipv4("10.0.0.1", "10.0.0.2").fragment(100, false).udp(40000, 53).payload(20));
            built.add(link(tags).ipv4("10.0.0.1", "192.168.1.9").options(new byte[8]).tcp(40000, 443));
            built.add(link(tags).ipv4("192.168.0.1", "10.0.0.2").sctp(53, 40000));
            built.add(link(tags).ipv4("10.0.0.1", "10.0.0.2").icmp(8, 0));
            built.add(link(tags).ipv6("fd00::1", "fd00:1::2").hopByHop(0).routing(1).tcp(5555, 443));
            built.add(link(tags).ipv6("fd00::1", "fd00:1::2").fragment(50, false).udp(40000, 53).payload(4));
            built.add(link(tags).ipv6("fd00::1", "fd00:1::2").fragment(0, true).udp(40000, 53).payload(4));
            built.add(link(tags).ipv6("2001:db8::1", "fd00:1::2").icmpv6(128, 0));
            built.add(link(tags).ethertype(EtherType.ARP).payload(28));
        }
        List<byte[]> out = new ArrayList<>();
        for (Frame f : built) {
            byte[] whole = f.build();
            out.add(whole);
            out.add(Arrays.copyOf(whole, whole.length - 18)); // cut inside the transport header
            out.add(Arrays.copyOf(whole, 30)); // inside the IP header
        }
        return out;
    }

    @Test
    void theJavaFilterGivesTheKernelFiltersVerdictOnEveryFrame() {
        List<String> mismatches = new ArrayList<>();
        int matched = 0;
        PacketFields fields = new PacketFields();
        try (CaptureProgram p = CaptureProgram.load(CaptureFilter.all(), 256, 1 << 16)) {
            for (String expression : FILTERS) {
                CaptureFilter filter = CaptureFilter.parse(expression);
                FilterMatcher java = new FilterMatcher(filter);
                p.filter(filter, 256);
                for (byte[] frame : frames()) {
                    long before = p.counters().matched();
                    p.program(CaptureMode.MIRROR).testRun(TestRun.of(frame));
                    boolean kernel = p.counters().matched() - before == 1;
                    fields.parse(MemorySegment.ofArray(frame), 0, frame.length, -1);
                    boolean ours = java.matches(fields);
                    if (kernel != ours) mismatches.add(expression + ": kernel " + kernel + ", Java " + ours + " for " + fields.toParsedPacket());
                    if (kernel) matched++;
                }
            }
        }
        assertThat(mismatches).as("%d disagreements; first: %s", mismatches.size(), mismatches.stream().limit(5).toList()).isEmpty();
        assertThat(matched).as("the filters match something").isGreaterThan(FILTERS.size() * 3);
    }

    @Test
    void withItsXdpHookTakenCaptureFallsBackAndWritesExactlyTheMatchingFrames() throws Exception {
        Path file = dir.resolve("fallback.pcapng");
        try (Lab lab = Lab.create(); PacketCounter other = PacketCounter.load()) {
            Host a = lab.a(), b = lab.b();
            byte[] tagged = Frame.ethernet(a.mac(), b.mac()).vlan(300).ipv4(new byte[] {10, 9, 9, 1}, new byte[] {10, 9, 9, 2})
                    .udp(40_000, 9000).payload(58).build();
            try (XdpLink taken = b.call(() -> XdpLink.attach(other.program(), b.ifname(), XdpMode.DRIVER))) {
                CaptureOptions opts = CaptureOptions.of(b.ifname()).filter(CaptureFilter.parse("udp port 9000")).xdpMode(XdpMode.DRIVER);
                try (Capture cap = b.call(() -> Capture.open(opts, file))) {
                    assertThat(cap.fallback()).isTrue();
                    assertThat(cap.fallbackReason()).contains("could not be loaded or attached");
                    Thread runner = Thread.ofPlatform().start(() -> cap.run(0, Duration.ofSeconds(30), () -> false));
                    Traffic.udp(a, b, false, 200, 100, 9000);
                    Traffic.udp(a, b, false, 50, 100, 9001); // not matching
                    a.run(() -> {
                        try (NativeSocket s = NativeSocket.packet().bindToInterface(a.ifindex())) {
                            for (int i = 0; i < 10; i++) s.send(tagged);
                        }
                    });
                    Thread.sleep(200);
                    cap.close(); // ends the run, writes what the ring still holds, the statistics, and closes the file
                    runner.join();
                    CaptureStats s = cap.stats();
                    assertThat(s.written()).isEqualTo(210);
                    assertThat(s.matched()).isEqualTo(210);
                    assertThat(s.dropped()).isZero();
                    assertThat(s.seen()).isGreaterThanOrEqualTo(260);
                }
            }
            List<String[]> rows = Tshark.fields(file, "udp.dstport", "frame.len", "frame.cap_len", "vlan.id", "ip.src");
            assertThat(rows).hasSize(210).allMatch(r -> r[0].equals("9000"));
            assertThat(rows.stream().filter(r -> r[3].isEmpty())).hasSize(200)
                    .allMatch(r -> r[1].equals(Integer.toString(14 + 20 + 8 + 100)) && r[2].equals(r[1]) && r[4].equals(a.ipv4()));
            // the tag veth took out of the frame is back in the file, as on the wire
            assertThat(rows.stream().filter(r -> r[3].equals("300"))).hasSize(10)
                    .allMatch(r -> r[1].equals(Integer.toString(tagged.length)) && r[2].equals(r[1]) && r[4].equals("10.9.9.1"));
            Map<Integer, byte[]> isb = new PcapngReader(file).options(5, 12);
            assertThat(PcapngReader.u64(isb.get(6))).as("isb_filteraccept").isEqualTo(210);
            assertThat(PcapngReader.u64(isb.get(8))).as("isb_usrdeliv").isEqualTo(210);
        }
    }

    @Test
    void withoutFallbackTheAttachErrorComesOut() throws Exception {
        try (Lab lab = Lab.create(); PacketCounter other = PacketCounter.load()) {
            Host b = lab.b();
            try (XdpLink taken = b.call(() -> XdpLink.attach(other.program(), b.ifname(), XdpMode.DRIVER))) {
                CaptureOptions opts = CaptureOptions.of(b.ifname()).xdpMode(XdpMode.DRIVER).fallback(false);
                Throwable t = catchThrowable(() -> b.call(() -> Capture.open(opts, dir.resolve("none.pcapng"))));
                assertThat(t).isInstanceOf(io.packetlens.ebpf.BpfException.class).hasMessageNotContaining("AF_PACKET");
            }
        }
    }
}
