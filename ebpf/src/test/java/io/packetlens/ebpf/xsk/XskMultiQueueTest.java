package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.packet.Frame;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several queues and a shared UMEM: a veth pair with two queues per side, two TX sockets on
 * a (one per queue, one UMEM) and two RX sockets on b (one per queue, one UMEM, the second
 * with its own fill and completion rings). veth delivers a frame sent on TX queue q to RX
 * queue q of the peer, so each RX socket must get exactly the frames of its queue.
 */
@KernelTest
class XskMultiQueueTest {
    static final int PER_QUEUE = 500;
    static final String IF = "xq0";

    @Test
    void eachQueueHasItsSocketAndTheUmemIsShared() throws Exception {
        try (Lab lab = Lab.create(); BpfObject obj = XskTestSupport.redirectProgram().load();
             Umem rxUmem = Umem.create(UmemConfig.defaults().frameCount(2048));
             Umem txUmem = Umem.create(UmemConfig.defaults().frameCount(512))) {
            Host a = lab.a(), b = lab.b();
            a.exec("ip", "link", "add", IF, "numtxqueues", "2", "numrxqueues", "2", "type", "veth",
                    "peer", "name", IF, "netns", b.namespace(), "numtxqueues", "2", "numrxqueues", "2");
            a.exec("ip", "link", "set", IF, "up");
            b.exec("ip", "link", "set", IF, "up");
            assertThat(b.call(() -> DeviceQueues.of(IF)).orElseThrow()).isEqualTo(new DeviceQueues.Counts(2, 2));

            XskSocket rx0 = b.call(() -> XskSocket.open(rxUmem, IF, 0, XskConfig.rxOnly(1024).fillFrames(1024)));
            XskSocket rx1 = b.call(() -> XskSocket.open(rxUmem, IF, 1, XskConfig.rxOnly(1024).fillFrames(1024)));
            assertThat(rx1.fillRing()).as("another queue needs its own fill ring").isNotSameAs(rx0.fillRing());
            XskTestSupport.register(obj.map("xsks"), rx0);
            XskTestSupport.register(obj.map("xsks"), rx1);
            XskSocket tx0 = a.call(() -> XskSocket.open(txUmem, IF, 0, XskConfig.txOnly(256)));
            XskSocket tx1 = a.call(() -> XskSocket.open(txUmem, IF, 1, XskConfig.txOnly(256)));

            try (XdpLink link = b.call(() -> XdpLink.attach(obj.program("xdp_to_xsk"), IF, XdpMode.DRIVER))) {
                for (XskSocket tx : new XskSocket[] {tx0, tx1}) {
                    int[] sent = {0};
                    while (sent[0] < PER_QUEUE) {
                        sent[0] += tx.transmit(Math.min(32, PER_QUEUE - sent[0]), (area, off, cap, i) -> {
                            byte[] f = Frame.ethernet("02:00:00:00:01:01", "02:00:00:00:01:02").ipv4("10.9.0.1", "10.9.0.2").udp(5000, 6000)
                                    .payload(ByteBuffer.allocate(8).putInt(sent[0] + i).putInt(tx.queue()).array()).build();
                            MemorySegment.copy(f, 0, area, JAVA_BYTE, off, f.length);
                            return f.length;
                        });
                        tx.flushTx(1000);
                    }
                    assertThat(tx.flushTx(5000)).isZero();
                }
                int[][] got = new int[2][2]; // [socket][tag]
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (got[0][0] + got[0][1] + got[1][0] + got[1][1] < 2 * PER_QUEUE && System.nanoTime() < deadline) {
                    for (XskSocket rx : new XskSocket[] {rx0, rx1}) {
                        rx.receive(64, (area, off, len) -> got[rx.queue()][Integer.reverseBytes(area.get(JAVA_INT_UNALIGNED, off + 42 + 4))]++);
                    }
                    Thread.onSpinWait();
                }
                assertThat(got[0]).containsExactly(PER_QUEUE, 0);
                assertThat(got[1]).containsExactly(0, PER_QUEUE);
                assertThat(rx0.statistics().rxLost() + rx1.statistics().rxLost()).isZero();
                assertThat(txUmem.freeFrames()).isEqualTo(txUmem.frameCount());
            }
        }
    }
}
