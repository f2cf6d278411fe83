package io.packetlens.trafficgen;

import io.packetlens.capture.Capture;
import io.packetlens.capture.CaptureOptions;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.LinkStats;
import io.packetlens.packet.FlowFrames;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The AF_XDP traffic generator in the lab: valid frames over the requested flows, and exact delivery under back-pressure. */
@KernelTest
class TrafficGeneratorTest {
    @TempDir
    Path dir;

    private static FlowFrames frames(Host a, Host b, int size, int flows, int port) {
        return new FlowFrames(FlowFrames.Protocol.UDP, size, flows, InterfaceMac.parse(a.mac()), InterfaceMac.parse(b.mac()),
                InetAddress.ofLiteral(a.ipv4()), InetAddress.ofLiteral(b.ipv4()), port);
    }

    @Test
    void aUdpSocketReceivesEveryFrameFromEveryFlow() throws Exception {
        int n = 5000, flows = 50, port = 9200;
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            assertThat(a.call(() -> InterfaceMac.of(a.ifname()))).isEqualTo(InterfaceMac.parse(a.mac()));
            DatagramSocket rx = b.call(() -> {
                DatagramSocket s = new DatagramSocket(null);
                s.setReceiveBufferSize(16 << 20);
                s.bind(new InetSocketAddress(b.ipv4(), port));
                s.setSoTimeout(2000);
                return s;
            });
            Map<String, Long> snmp0 = b.snmp();
            try (rx; TrafficGenerator gen = a.call(() -> TrafficGenerator.open(a.ifname(), 0, frames(a, b, 100, flows, port), BindMode.AUTO))) {
                Set<Integer> sources = new HashSet<>();
                long[] got = {0};
                FutureTask<Void> receiver = new FutureTask<>(() -> {
                    byte[] buf = new byte[2048];
                    try {
                        while (got[0] < n) {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            rx.receive(p);
                            sources.add(p.getPort());
                            got[0]++;
                        }
                    } catch (SocketTimeoutException quiet) {
                        // report what arrived
                    }
                    return null;
                });
                Thread.ofPlatform().start(receiver);
                TrafficGenerator.Result r = gen.run(n, 50_000, () -> false);
                receiver.get(30, TimeUnit.SECONDS);
                assertThat(r.sent()).isEqualTo(n);
                assertThat(r.elapsedNanos()).as("--rate 50000 paces 5000 frames over ~0.1 s").isGreaterThan(80_000_000L);
                assertThat(got[0]).as("datagrams the peer's UDP socket accepted (checksums verified by its kernel)").isEqualTo(n);
                assertThat(sources).hasSize(flows);
                assertThat(b.snmp().get("Udp.InCsumErrors") - snmp0.get("Udp.InCsumErrors")).isZero();
            }
        }
    }

    @Test
    void fullSpeedIntoANativeXdpReceiverCopesWithBackPressure() throws Exception {
        int n = 300_000;
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            // a native XDP program on the receiving veth is what makes veth push back on the sender
            Capture cap = b.call(() -> Capture.open(CaptureOptions.of(b.ifname()).xdpMode(XdpMode.DRIVER), dir.resolve("bp.pcapng")));
            try (cap; TrafficGenerator gen = a.call(() -> TrafficGenerator.open(a.ifname(), 0, frames(a, b, 60, 1000, 9), BindMode.AUTO))) {
                FutureTask<Long> capturing = new FutureTask<>(() -> cap.run(n, Duration.ofSeconds(60), () -> false));
                Thread.ofPlatform().start(capturing);
                LinkStats before = b.linkStats();
                TrafficGenerator.Result r = gen.run(n, 0, () -> false);
                assertThat(r.sent()).isEqualTo(n);
                assertThat(r.kernel().txInvalidDescs()).isZero();
                assertThat(b.linkStats().minus(before).rxPackets()).as("every frame reached the peer").isEqualTo(n);
                long written = capturing.get(60, TimeUnit.SECONDS);
                assertThat(written + cap.stats().dropped()).isEqualTo(n);
                System.out.printf("trafficgen: %d frames in %.3f s (%.0f/s), %d back-pressure waits; capture wrote %d, dropped %d%n",
                        r.sent(), r.elapsedNanos() / 1e9, r.packetsPerSecond(), r.backPressure(), written, cap.stats().dropped());
            }
        }
    }
}
