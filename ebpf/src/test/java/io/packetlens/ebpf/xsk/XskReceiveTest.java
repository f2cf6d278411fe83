package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * AF_XDP reception in the lab: an XDP program on b's veth redirects UDP into a socket, and
 * every frame the sender's kernel put on the wire (as tcpdump on the sender saw it) arrives
 * in UMEM byte for byte, in order, with the kernel reporting no loss.
 */
@KernelTest
class XskReceiveTest {
    static final int N = 2000;

    @ParameterizedTest
    @EnumSource(value = XdpMode.class, names = {"DRIVER", "GENERIC"})
    void receivesEveryFrameByteForByte(XdpMode mode) throws Exception {
        try (Lab lab = Lab.create(); BpfObject obj = XskTestSupport.redirectProgram().load();
             Umem umem = Umem.create(UmemConfig.defaults())) {
            Host a = lab.a(), b = lab.b();
            XskSocket xsk = b.call(() -> XskSocket.open(umem, b.ifname(), 0, XskConfig.rxOnly(4096)));
            assertThat(xsk.zeroCopy()).as("veth has no zero-copy AF_XDP").isFalse();
            assertThat(umem.freeFrames()).isEqualTo(umem.frameCount() - XskConfig.DEFAULT.fillFrames());
            XskTestSupport.register(obj.map("xsks"), xsk);
            try (XdpLink link = b.call(() -> XdpLink.attach(obj.program("xdp_to_xsk"), b.ifname(), mode));
                 Pcap tcpdump = Pcap.start(a, a.ifname(), "out", "udp")) {
                List<byte[]> got = new ArrayList<>();
                FutureTask<Void> receiver = new FutureTask<>(() -> {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (got.size() < N && System.nanoTime() < deadline) {
                        if (xsk.poll(100, false)) {
                            xsk.receive(64, (area, off, len) -> got.add(area.asSlice(off, len).toArray(JAVA_BYTE)));
                        }
                    }
                    return null;
                });
                Thread.ofPlatform().start(receiver);
                InetSocketAddress to = new InetSocketAddress(b.ipv4(), 9000);
                a.run(() -> {
                    try (DatagramSocket s = new DatagramSocket()) {
                        for (int i = 0; i < N; i++) {
                            byte[] p = XskTestSupport.payload(i, 0);
                            s.send(new DatagramPacket(p, p.length, to));
                            // paced so that tcpdump, the independent witness, keeps up
                            if (i % 20 == 19) Thread.sleep(1);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                receiver.get(30, TimeUnit.SECONDS);
                List<byte[]> sent = tcpdump.stop(N);

                assertThat(sent.size()).isEqualTo(N);
                assertThat(got.size()).isEqualTo(N);
                for (int i = 0; i < N; i++) {
                    assertThat(Pcap.hex(got.get(i))).as("frame %d", i).isEqualTo(Pcap.hex(sent.get(i)));
                }
                XskStatistics st = xsk.statistics();
                assertThat(st.rxLost()).isZero();
                assertThat(st.rxFillRingEmptyDescs()).isZero();
                assertThat(xsk.rxFrames()).isEqualTo(N);
                // every frame went back to the fill ring: nothing leaked from the UMEM
                assertThat(umem.freeFrames()).isEqualTo(umem.frameCount() - XskConfig.DEFAULT.fillFrames());
            }
        }
    }
}
