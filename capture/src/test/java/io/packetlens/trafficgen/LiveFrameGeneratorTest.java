package io.packetlens.trafficgen;

import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.packet.SourceFrames;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live-frame generator in the lab: every frame of a UDP + SYN mix reaches the peer's stack with valid checksums,
 * from the configured sources and ports.
 */
@KernelTest
class LiveFrameGeneratorTest {
    @Test
    void aMixOfUdpAndSynFramesArrivesWholeAndValid() throws Exception {
        int port = 9210, udpSources = 40, ports = 5, n = 4000; // 3:1, so 3,000 datagrams and 1,000 SYNs
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            // xdp_frames need NAPI on the receiving veth: GRO asks for it, as a NIC driver has it
            b.exec("ethtool", "-K", b.ifname(), "gro", "on");
            DatagramSocket rx = b.call(() -> {
                DatagramSocket s = new DatagramSocket(null);
                s.setReceiveBufferSize(16 << 20);
                s.bind(new InetSocketAddress(b.ipv4(), port));
                s.setSoTimeout(2000);
                return s;
            });
            byte[] src = InterfaceMac.parse(a.mac()), dst = InterfaceMac.parse(b.mac());
            Inet4Address to = (Inet4Address) InetAddress.ofLiteral(b.ipv4());
            SourceFrames udp = new SourceFrames(SourceFrames.Kind.UDP, 60, src, dst, (Inet4Address) InetAddress.ofLiteral("10.199.0.100"),
                    udpSources, ports, to, port);
            SourceFrames syn = new SourceFrames(SourceFrames.Kind.SYN, 60, src, dst, (Inet4Address) InetAddress.ofLiteral("10.199.0.200"),
                    10, 3, to, 9211);
            Map<String, Long> snmp0 = b.snmp();
            try (rx; LiveFrameGenerator gen = a.call(() -> LiveFrameGenerator.open(a.ifindex(), List.of(udp, syn), List.of(3, 1)))) {
                Set<String> senders = new HashSet<>();
                java.util.concurrent.atomic.AtomicLong got = new java.util.concurrent.atomic.AtomicLong();
                FutureTask<Void> receiver = new FutureTask<>(() -> {
                    byte[] buf = new byte[2048];
                    try {
                        while (got.get() < n * 3 / 4) {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            rx.receive(p);
                            senders.add(p.getAddress().getHostAddress() + ":" + p.getPort());
                            got.incrementAndGet();
                        }
                    } catch (SocketTimeoutException quiet) {
                        // report what arrived
                    }
                    return null;
                });
                Thread.ofPlatform().start(receiver);
                // in steps the socket's buffer holds (rmem_max caps it, and each datagram takes a page here)
                long written = 0;
                for (int step = 0; step < n / 200; step++) {
                    written += a.call(() -> gen.run(200, () -> false));
                    long want = (step + 1) * 150L, deadline = System.nanoTime() + 5_000_000_000L;
                    while (got.get() < want && System.nanoTime() < deadline) Thread.sleep(1);
                }
                receiver.get(30, TimeUnit.SECONDS);
                Map<String, Long> snmp = b.snmp();
                assertThat(written).isEqualTo(n);
                assertThat(got.get()).as("datagrams the peer's UDP socket accepted (checksums verified by its kernel)").isEqualTo(n * 3 / 4);
                assertThat(senders).as("every source address with every source port").hasSize(udpSources * ports);
                assertThat(snmp.get("Udp.InCsumErrors") - snmp0.get("Udp.InCsumErrors")).isZero();
                assertThat(snmp.get("Tcp.InSegs") - snmp0.get("Tcp.InSegs")).as("SYNs the peer's TCP took in").isEqualTo(n / 4);
                assertThat(snmp.get("Tcp.InCsumErrors") - snmp0.get("Tcp.InCsumErrors")).isZero();
            }
        }
    }
}
