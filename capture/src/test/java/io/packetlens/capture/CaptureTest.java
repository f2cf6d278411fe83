package io.packetlens.capture;

import io.packetlens.capture.pcapng.PcapngReader;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Await;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.LinkStats;
import io.packetlens.lab.OpenFds;
import io.packetlens.lab.Traffic;
import io.packetlens.programs.capture.CaptureMode;
import io.packetlens.programs.filter.CaptureFilter;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * packetlens capture in the lab, checked with tshark: the right number of frames, with
 * timestamps inside the capture window and the fields of the traffic sent; the filter keeps
 * other traffic out; mirror mode leaves a TCP connection across the lab working; closing
 * detaches the program and releases everything.
 */
@KernelTest
class CaptureTest {
    static final int N = 500;
    static final int PAYLOAD = 300;

    @TempDir
    Path dir;

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @ParameterizedTest
    @EnumSource(CaptureMode.class)
    void capturedFileReadsBackInTsharkWithTheTrafficSent(CaptureMode mode) throws Exception {
        Path file = dir.resolve("cap-" + mode + ".pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            CaptureOptions opts = CaptureOptions.of(b.ifname()).mode(mode).filter(CaptureFilter.parse("udp and dst port 9000"));
            long start = epochNanos();
            Capture cap = b.call(() -> Capture.open(opts, file));
            try (cap) {
                FutureTask<Long> run = new FutureTask<>(() -> cap.run(N, Duration.ofSeconds(20), () -> false));
                Thread.ofPlatform().start(run);
                Traffic.ping(a, b, false, 5); // not matched by the filter
                Traffic.udp(a, b, false, N, PAYLOAD, 9000);
                assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(N);
                CaptureStats s = cap.stats();
                assertThat(s.written()).isEqualTo(N);
                assertThat(s.dropped()).isZero();
                assertThat(s.matched()).isEqualTo(N);
                assertThat(s.seen()).isGreaterThanOrEqualTo(N + 5);
            }
            long end = epochNanos();

            List<String[]> rows = Tshark.fields(file, "frame.time_epoch", "ip.src", "ip.dst", "udp.dstport", "udp.length",
                    "frame.len", "frame.cap_len", "frame.interface_name");
            assertThat(rows).hasSize(N);
            long prev = 0;
            for (String[] r : rows) {
                long ts = new java.math.BigDecimal(r[0]).movePointRight(9).longValueExact();
                assertThat(ts).as("timestamp inside the capture window").isBetween(start, end);
                assertThat(ts).as("timestamps in order").isGreaterThanOrEqualTo(prev);
                prev = ts;
                assertThat(r[1]).isEqualTo(a.ipv4());
                assertThat(r[2]).isEqualTo(b.ipv4());
                assertThat(r[3]).isEqualTo("9000");
                assertThat(r[4]).isEqualTo(Integer.toString(8 + PAYLOAD));
                assertThat(r[5]).isEqualTo(Integer.toString(14 + 20 + 8 + PAYLOAD));
                assertThat(r[6]).isEqualTo(r[5]);
                assertThat(r[7]).isEqualTo("veth0");
            }
            // the interface statistics block carries the counts
            PcapngReader pr = new PcapngReader(file);
            Map<Integer, byte[]> isb = pr.options(5, 12);
            assertThat(PcapngReader.u64(isb.get(5))).as("isb_ifdrop").isZero();
            assertThat(PcapngReader.u64(isb.get(6))).as("isb_filteraccept").isEqualTo(N);
            assertThat(PcapngReader.u64(isb.get(8))).as("isb_usrdeliv").isEqualTo(N);
        }
    }

    @Test
    void mirrorModeLeavesTheHostsTcpWorkingAndClosingDetaches() throws Exception {
        Path file = dir.resolve("tcp.pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            int fds = OpenFds.count();
            Capture cap = b.call(() -> Capture.open(CaptureOptions.of(b.ifname()).xdpMode(XdpMode.DRIVER), file));
            LinkStats before;
            Traffic.Sent sent;
            long written;
            try (cap) {
                assertThat(b.exec("bpftool", "-j", "net", "show")).contains("\"xdp\":[{").contains("driver");
                FutureTask<Long> run = new FutureTask<>(() -> cap.run(0, Duration.ofSeconds(30), () -> Thread.currentThread().isInterrupted()));
                Thread runner = Thread.ofPlatform().start(run);
                before = b.linkStats();
                sent = Traffic.tcp(a, b, false, 4_000_000); // throws unless every byte arrived
                // the connection's last frames in before b's count is read and the capture stopped
                assertThat(Await.quiet(Duration.ofMillis(300), Duration.ofSeconds(10), () -> b.linkStats().rxPackets()))
                        .as("b's link goes quiet").isTrue();
                long rx = b.linkStats().minus(before).rxPackets();
                runner.interrupt();
                written = run.get(10, TimeUnit.SECONDS);
                assertThat(sent.payloadBytes()).isEqualTo(4_000_000);
                assertThat(written).as("every frame b received was captured").isEqualTo(rx);
                assertThat(cap.stats().dropped()).isZero();
            }
            assertThat(b.exec("bpftool", "-j", "net", "show")).contains("\"xdp\":[]");
            assertThat(OpenFds.count()).isEqualTo(fds);
            List<String[]> rows = Tshark.fields(file, "tcp.dstport");
            assertThat(rows).hasSize((int) written);
            assertThat(rows.stream().filter(r -> r[0].equals(Integer.toString(Traffic.TCP_PORT))).count()).isGreaterThan(100);
        }
    }

    @Test
    void stealModeTakesMatchingFramesFromTheHost() throws Exception {
        Path file = dir.resolve("steal.pcapng");
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            Capture cap = b.call(() -> Capture.open(CaptureOptions.of(b.ifname()).mode(CaptureMode.STEAL)
                    .filter(CaptureFilter.parse("udp port 9000")), file));
            try (cap) {
                assertThat(cap.queues()).isEqualTo(1);
                assertThat(cap.zeroCopy()).isFalse();
                FutureTask<Long> run = new FutureTask<>(() -> cap.run(100, Duration.ofSeconds(20), () -> false));
                Thread.ofPlatform().start(run);
                Map<String, Long> snmp0 = b.snmp();
                Traffic.udp(a, b, false, 100, 64, 9000);
                Traffic.ping(a, b, false, 3); // not matched: still answered by the host
                assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(100);
                assertThat(b.snmp().get("Udp.InDatagrams") - snmp0.get("Udp.InDatagrams")).as("the host saw none of them").isZero();
                assertThat(b.exec("bpftool", "-j", "net", "show")).contains("\"xdp\":[{");
            }
            assertThat(b.exec("bpftool", "-j", "net", "show")).as("closing detached the program").contains("\"xdp\":[]");
            assertThat(Tshark.fields(file, "udp.dstport")).hasSize(100).allMatch(r -> r[0].equals("9000"));
        }
    }
}
