package io.packetlens.ebpf.xsk;

import com.sun.management.ThreadMXBean;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.link.XdpLink;
import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/** The receive path allocates nothing per packet: the receiving thread's allocation counter barely moves over 20,000 frames. */
@KernelTest
class XskAllocationTest {
    static final int WARMUP = 30_000, MEASURED = 20_000;

    /** Sums every byte of every frame, so the frames are really read. */
    static final class Summer implements RxHandler {
        long sum;
        long frames;

        @Override
        public void onFrame(java.lang.foreign.MemorySegment umem, long offset, int length) {
            for (int i = 0; i < length; i++) sum += umem.get(JAVA_BYTE, offset + i);
            frames++;
        }
    }

    @Test
    void receivingAllocatesNothingPerFrame() throws Exception {
        try (Lab lab = Lab.create(); BpfObject obj = XskTestSupport.redirectProgram().load(); Umem umem = Umem.create(UmemConfig.defaults())) {
            Host a = lab.a(), b = lab.b();
            XskSocket xsk = b.call(() -> XskSocket.open(umem, b.ifname(), 0, XskConfig.rxOnly(4096)));
            XskTestSupport.register(obj.map("xsks"), xsk);
            ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            try (XdpLink link = b.call(() -> XdpLink.attach(obj.program("xdp_to_xsk"), b.ifname(), XdpMode.DRIVER))) {
                Summer summer = new Summer();
                long[] allocated = new long[1];
                java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
                FutureTask<Void> receiver = new FutureTask<>(() -> {
                    // let the JIT compile the empty paths (poll, peek) before the first frame arrives
                    for (int i = 0; i < 200_000; i++) {
                        xsk.poll(0, false);
                        xsk.receive(256, summer);
                    }
                    ready.countDown();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    long before = -1;
                    while (summer.frames < WARMUP + MEASURED && System.nanoTime() < deadline) {
                        if (before < 0 && summer.frames >= WARMUP) before = threads.getCurrentThreadAllocatedBytes();
                        if (xsk.poll(100, false)) xsk.receive(256, summer);
                    }
                    allocated[0] = threads.getCurrentThreadAllocatedBytes() - before;
                    return null;
                });
                Thread.ofPlatform().start(receiver);
                ready.await();
                // the sender keeps going until the receiver has its frames: a frame lost while the receiver was
                // descheduled on a busy machine is no concern of this test
                a.run(() -> {
                    try (DatagramSocket s = new DatagramSocket()) {
                        byte[] p = new byte[64];
                        DatagramPacket d = new DatagramPacket(p, p.length, new InetSocketAddress(b.ipv4(), 9000));
                        for (int i = 0; !receiver.isDone() && i < 10 * (WARMUP + MEASURED); i++) {
                            s.send(d);
                            if (i % 200 == 199) Thread.sleep(1);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                receiver.get(90, TimeUnit.SECONDS);
                assertThat(summer.frames).as("frames received; kernel counters %s", xsk.statistics()).isGreaterThanOrEqualTo(WARMUP + MEASURED);
                // a few hundred bytes may come from JIT deoptimization bookkeeping; one object per frame would be >= 320,000
                assertThat(allocated[0]).as("bytes allocated while receiving %d frames", MEASURED).isLessThan(16_384);
            }
        }
    }
}
