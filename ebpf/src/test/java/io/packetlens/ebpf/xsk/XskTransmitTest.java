package io.packetlens.ebpf.xsk;

import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.packet.Frame;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * AF_XDP transmission in the lab: frames crafted in Java and sent through a's TX ring reach
 * a UDP socket in b (whose kernel checked the IP and UDP checksums) with the payload intact,
 * and tcpdump in b saw exactly the frames that were written into UMEM.
 */
@KernelTest
class XskTransmitTest {
    static final int N = 1000;
    static final int PORT = 9100;

    @Test
    void framesSentThroughTheTxRingArriveIntact() throws Exception {
        try (Lab lab = Lab.create(); Umem umem = Umem.create(UmemConfig.defaults().frameCount(512))) {
            Host a = lab.a(), b = lab.b();
            byte[][] frames = new byte[N][];
            for (int i = 0; i < N; i++) {
                frames[i] = Frame.ethernet(a.mac(), b.mac()).ipv4(a.ipv4(), b.ipv4()).udp(40000 + i % 7, PORT).payload(XskTestSupport.payload(i, 7)).build();
            }
            DatagramSocket receiver = b.call(() -> {
                DatagramSocket s = new DatagramSocket(null);
                s.setReceiveBufferSize(16 << 20);
                s.bind(new InetSocketAddress(b.ipv4(), PORT));
                s.setSoTimeout(3000);
                return s;
            });
            XskSocket xsk = a.call(() -> XskSocket.open(umem, a.ifname(), 0, XskConfig.txOnly(256)));
            try (receiver; Pcap tcpdump = Pcap.start(b, b.ifname(), "in", "udp port " + PORT)) {
                List<byte[]> payloads = new ArrayList<>();
                FutureTask<Void> rx = new FutureTask<>(() -> {
                    byte[] buf = new byte[2048];
                    try {
                        while (payloads.size() < N) {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            receiver.receive(p);
                            payloads.add(Arrays.copyOf(p.getData(), p.getLength()));
                        }
                    } catch (SocketTimeoutException quiet) {
                        // report what arrived
                    }
                    return null;
                });
                Thread.ofPlatform().start(rx);

                int[] next = {0};
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (next[0] < N && System.nanoTime() < deadline) {
                    int queued = xsk.transmit(Math.min(16, N - next[0]), (area, off, cap, i) -> {
                        byte[] f = frames[next[0] + i];
                        MemorySegment.copy(f, 0, area, JAVA_BYTE, off, f.length);
                        return f.length;
                    });
                    next[0] += queued;
                    // paced so that tcpdump, the independent witness in b, keeps up
                    xsk.flushTx(1000);
                    Thread.sleep(1);
                }
                assertThat(xsk.flushTx(5000)).as("frames still in flight").isZero();
                rx.get(30, TimeUnit.SECONDS);
                List<byte[]> seen = tcpdump.stop(N);

                assertThat(next[0]).isEqualTo(N);
                assertThat(xsk.txFrames()).isEqualTo(N);
                assertThat(xsk.statistics().txInvalidDescs()).isZero();
                assertThat(payloads.size()).as("datagrams received by the peer socket").isEqualTo(N);
                for (int i = 0; i < N; i++) {
                    assertThat(payloads.get(i)).as("payload %d", i).isEqualTo(XskTestSupport.payload(i, 7));
                }
                // tcpdump, the independent witness of the wire bytes, may itself lose frames on a loaded machine (the
                // peer socket above proves every datagram arrived): every frame it did capture must be byte-identical to
                // the one written into UMEM, in order, and it must have captured most of them
                java.util.Map<String, Integer> index = new java.util.HashMap<>();
                for (int i = 0; i < N; i++) index.put(Pcap.hex(frames[i]), i);
                int last = -1;
                for (byte[] f : seen) {
                    Integer i = index.get(Pcap.hex(f));
                    assertThat(i).as("captured frame %s matches a frame sent", Pcap.hex(f)).isNotNull();
                    assertThat(i).as("in order").isGreaterThan(last);
                    last = i;
                }
                assertThat(seen.size()).as("frames tcpdump captured").isGreaterThanOrEqualTo(N / 2);
                // every frame came back through the completion ring
                assertThat(umem.freeFrames()).isEqualTo(umem.frameCount());
            }
        }
    }
}
