package io.packetlens.programs.capture;

import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.XdpAction;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import static io.packetlens.programs.capture.TestFrames.v4;
import static io.packetlens.programs.capture.TestFrames.v6;
import static io.packetlens.programs.capture.TestFrames.vlan;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernel side of the capture filter, run on crafted frames with BPF_PROG_TEST_RUN: which
 * frames the programs count as matched for filters of each kind, changed at run time
 * through the maps only.
 */
@KernelTest
class CaptureProgramTest {
    static final int TCP = 6, UDP = 17, ICMP = 1;

    private static boolean matches(CaptureProgram p, CaptureMode mode, byte[] frame) {
        long before = p.counters().matched();
        TestRun.Result r = p.program(mode).testRun(TestRun.of(frame));
        // no socket in the XSKMAP and mirror always passes: the host keeps every frame either way
        assertThat(r.xdpAction()).isEqualTo(XdpAction.PASS);
        return p.counters().matched() - before == 1;
    }

    @Test
    void filtersByProtocolHostNetAndPortThroughMapsOnly() {
        try (CaptureProgram p = CaptureProgram.load(CaptureFilter.all(), 256, 1 << 16)) {
            byte[] udp53 = v4(UDP, "10.0.0.1", "10.0.0.2", 40000, 53);
            byte[] tcp80 = v4(TCP, "10.0.0.1", "192.168.1.9", 40000, 80);
            byte[] icmp = v4(ICMP, "10.0.0.1", "10.0.0.2", 0, 0);
            byte[] tcp6 = v6(TCP, "fd00::1", "fd00:1::2", 5555, 443);
            byte[] fragment = v4(UDP, "10.0.0.1", "10.0.0.2", 40000, 53, 0x0010); // non-first piece: no ports
            byte[] arp = new byte[42];
            arp[12] = 0x08;
            arp[13] = 0x06;
            for (CaptureMode mode : CaptureMode.values()) {
                p.filter(CaptureFilter.all(), 256);
                assertThat(matches(p, mode, arp)).isTrue();
                assertThat(matches(p, mode, tcp6)).isTrue();

                p.filter(CaptureFilter.parse("udp port 53"), 256);
                assertThat(matches(p, mode, udp53)).isTrue();
                assertThat(matches(p, mode, vlan(udp53, 7))).as("behind a VLAN tag").isTrue();
                assertThat(matches(p, mode, tcp80)).isFalse();
                assertThat(matches(p, mode, fragment)).as("a later fragment has no ports").isFalse();
                assertThat(matches(p, mode, arp)).isFalse();

                p.filter(CaptureFilter.parse("tcp or icmp"), 256);
                assertThat(matches(p, mode, tcp80)).isTrue();
                assertThat(matches(p, mode, icmp)).isTrue();
                assertThat(matches(p, mode, udp53)).isFalse();

                p.filter(CaptureFilter.parse("dst net 192.168.0.0/16"), 256);
                assertThat(matches(p, mode, tcp80)).isTrue();
                assertThat(matches(p, mode, udp53)).isFalse();
                p.filter(CaptureFilter.parse("src net 192.168.0.0/16"), 256);
                assertThat(matches(p, mode, tcp80)).as("direction matters").isFalse();

                p.filter(CaptureFilter.parse("src net 10.0.0.0/8 and dst host 10.0.0.2"), 256);
                assertThat(matches(p, mode, udp53)).as("/32 inside the /8 carries both directions").isTrue();
                assertThat(matches(p, mode, tcp80)).isFalse();

                p.filter(CaptureFilter.parse("ip6 and host fd00:1::2 and port 443"), 256);
                assertThat(matches(p, mode, tcp6)).isTrue();
                assertThat(matches(p, mode, tcp80)).isFalse();
                p.filter(CaptureFilter.parse("net fd00::/16 and port 5555"), 256);
                assertThat(matches(p, mode, tcp6)).isTrue();
                p.filter(CaptureFilter.parse("host 10.0.0.1"), 256);
                assertThat(matches(p, mode, tcp6)).as("an IPv4 prefix never matches IPv6").isFalse();
            }
        }
    }

    @Test
    void mirrorCopiesMatchingFramesAndStealCountsMissingSockets() {
        try (CaptureProgram p = CaptureProgram.load(CaptureFilter.parse("udp"), 64, 1 << 16)) {
            byte[] udp = v4(UDP, "10.0.0.1", "10.0.0.2", 1, 2);
            byte[] tcp = v4(TCP, "10.0.0.1", "10.0.0.2", 1, 2);
            for (int i = 0; i < 5; i++) p.program(CaptureMode.MIRROR).testRun(TestRun.of(udp));
            p.program(CaptureMode.MIRROR).testRun(TestRun.of(tcp));
            p.program(CaptureMode.STEAL).testRun(TestRun.of(udp));
            ProgramCounters c = p.counters();
            assertThat(c.seen()).isEqualTo(7);
            assertThat(c.matched()).isEqualTo(6);
            assertThat(c.mirrorCopied()).isEqualTo(5);
            assertThat(c.mirrorLost()).isZero();
            assertThat(c.noSocket()).isEqualTo(1);
        }
    }
}
