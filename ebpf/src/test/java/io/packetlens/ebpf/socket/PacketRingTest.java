package io.packetlens.ebpf.socket;

import com.sun.management.ThreadMXBean;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.lab.Traffic;
import io.packetlens.packet.Frame;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TPACKET_V3 ring against real traffic between the lab's namespaces: every datagram sent arrives once, with its
 * length, interface and a receive time between the send and the read; the snap length cuts frames; a VLAN tag the
 * veth took out of the frame comes back as metadata and counts again in the wire length; received-only rings do not
 * see what the host sends; a ring nobody reads drops and counts exactly what it could not hold; and reading
 * allocates nothing.
 */
@KernelTest
class PacketRingTest {
    private static final int PORT = 9000;

    /** What one read saw of the lab's UDP datagrams to {@link #PORT} (IPv4, untagged or one tag in metadata). */
    static final class Seen implements PacketHandler {
        final List<int[]> udp = new ArrayList<>(); // {snap, length, wire, tci, ifindex, outgoing}
        final List<Long> times = new ArrayList<>();
        long all;

        @Override
        public void onFrame(MemorySegment ring, long offset, PacketRing.Frame f) {
            all++;
            if (f.snapLength() < 38) return;
            int type = (ring.get(JAVA_BYTE, offset + 12) & 0xff) << 8 | ring.get(JAVA_BYTE, offset + 13) & 0xff;
            if (type != 0x0800 || ring.get(JAVA_BYTE, offset + 14 + 9) != 17) return;
            int dport = (ring.get(JAVA_BYTE, offset + 36) & 0xff) << 8 | ring.get(JAVA_BYTE, offset + 37) & 0xff;
            if (dport != PORT) return;
            udp.add(new int[] {f.snapLength(), f.length(), f.wireLength(), f.vlanTci(), f.ifindex(), f.outgoing() ? 1 : 0});
            times.add(f.timestampNanos());
        }
    }

    private static void readAll(PacketRing ring, PacketHandler h) {
        ring.drain(h, 2000);
    }

    private static long realtimeNanos() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    @Test
    void everyDatagramArrivesOnceWithItsLengthInterfaceAndTime() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            try (PacketRing ring = b.call(() -> PacketRing.open(b.ifname(), PacketRingConfig.defaults()))) {
                long before = realtimeNanos();
                Traffic.udp(a, b, false, 300, 100);
                ring.stopIntake();
                Seen seen = new Seen();
                readAll(ring, seen);
                long after = realtimeNanos();
                assertThat(seen.udp).hasSize(300);
                for (int[] f : seen.udp) {
                    // 14 Ethernet + 20 IPv4 + 8 UDP + 100 payload, whole (snap length 64 KiB), no tag, received on veth0
                    assertThat(f).containsExactly(142, 142, 142, -1, b.ifindex(), 0);
                }
                assertThat(seen.times).allSatisfy(t -> assertThat(t).isBetween(before - 1_000_000, after));
                PacketRingStatistics s = ring.statistics();
                assertThat(s.drops()).isZero();
                assertThat(s.packets()).as("the kernel's count of frames taken").isEqualTo(seen.all);
                assertThat(ring.frames()).isEqualTo(seen.all);
            }
        }
    }

    @Test
    void theSnapLengthCutsFramesButNotTheirLength() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            try (PacketRing ring = b.call(() -> PacketRing.open(b.ifname(), PacketRingConfig.defaults().snapLength(64)))) {
                Traffic.udp(a, b, false, 50, 1000);
                ring.stopIntake();
                Seen seen = new Seen();
                readAll(ring, seen);
                assertThat(seen.udp).hasSize(50).allSatisfy(f -> assertThat(f).startsWith(64, 1042, 1042));
            }
        }
    }

    @Test
    void aTagTheDeviceTookOutComesBackAsMetadata() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            byte[] tagged = Frame.ethernet(a.mac(), b.mac()).vlan(300).ipv4(new byte[] {10, 9, 9, 1}, new byte[] {10, 9, 9, 2})
                    .udp(40_000, PORT).payload(58).build();
            try (PacketRing ring = b.call(() -> PacketRing.open(b.ifname(), PacketRingConfig.defaults()))) {
                a.run(() -> {
                    try (NativeSocket s = NativeSocket.packet().bindToInterface(a.ifindex())) {
                        for (int i = 0; i < 20; i++) s.send(tagged);
                    }
                });
                ring.stopIntake();
                Seen seen = new Seen();
                readAll(ring, seen);
                // veth moves the outer tag into skb metadata on receive: the ring has the frame without it
                assertThat(seen.udp).hasSize(20).allSatisfy(f -> assertThat(f).startsWith(tagged.length - 4, tagged.length - 4,
                        tagged.length, 300));
            }
        }
    }

    @Test
    void aReceiveOnlyRingSkipsWhatTheHostSendsAndABothWaysRingMarksIt() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            try (PacketRing in = b.call(() -> PacketRing.open(b.ifname(), PacketRingConfig.defaults()));
                 PacketRing both = b.call(() -> PacketRing.open(b.ifname(), PacketRingConfig.defaults().incomingOnly(false)))) {
                Traffic.udp(b, a, false, 40, 10); // b sends
                Traffic.udp(a, b, false, 30, 10); // b receives
                in.stopIntake();
                both.stopIntake();
                Seen received = new Seen(), all = new Seen();
                readAll(in, received);
                readAll(both, all);
                assertThat(received.udp).hasSize(30).allSatisfy(f -> assertThat(f[5]).isZero());
                assertThat(all.udp).hasSize(70);
                assertThat(all.udp.stream().filter(f -> f[5] == 1).count()).as("sent by b").isEqualTo(40);
            }
        }
    }

    @Test
    void aRingNobodyReadsDropsWhatItCannotHoldAndCountsIt() throws Exception {
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            // 4 blocks of one page: a few dozen frames, then the ring freezes full
            try (PacketRing ring = b.call(() -> PacketRing.open(b.ifname(), PacketRingConfig.defaults().blocks(4096, 4)))) {
                Traffic.udp(a, b, false, 2000, 100);
                ring.stopIntake();
                Seen seen = new Seen();
                readAll(ring, seen);
                PacketRingStatistics s = ring.statistics();
                assertThat(s.drops()).as("frames with no room").isPositive();
                assertThat(s.freezes()).isPositive();
                // every frame the socket took was either read or counted as dropped
                assertThat(s.packets()).isEqualTo(seen.all + s.drops());
                assertThat((long) seen.udp.size()).isLessThan(2000).isGreaterThanOrEqualTo(2000 - s.drops());
            }
        }
    }

    @Test
    void openingOnAMissingInterfaceSaysSoAndLeavesNoSocket() throws Exception {
        try (Lab lab = Lab.create()) {
            Host b = lab.b();
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> b.call(() -> PacketRing.open("nosuch0", PacketRingConfig.defaults()))))
                    .hasMessageContaining("nosuch0");
            // the namespace's packet sockets (/proc/net/packet as seen from inside it): none left open
            assertThat(b.call(() -> java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/thread-self/net/packet")))).hasSize(1);
        }
    }

    /** Sums every byte of every frame, so the frames are really read. */
    static final class Summer implements PacketHandler {
        long sum, frames;

        @Override
        public void onFrame(MemorySegment ring, long offset, PacketRing.Frame f) {
            for (int i = 0; i < f.snapLength(); i++) sum += ring.get(JAVA_BYTE, offset + i);
            sum += f.wireLength() + f.vlanTci() + f.timestampNanos();
            frames++;
        }
    }

    @Test
    void readingAllocatesNothingPerFrame() throws Exception {
        final int warmup = 30_000, measured = 20_000;
        try (Lab lab = Lab.create()) {
            Host a = lab.a(), b = lab.b();
            ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            try (PacketRing ring = b.call(() -> PacketRing.open(b.ifname(), PacketRingConfig.defaults().retireTimeout(Duration.ofMillis(2))))) {
                Summer summer = new Summer();
                long[] allocated = new long[1];
                java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
                FutureTask<Void> receiver = new FutureTask<>(() -> {
                    for (int i = 0; i < 200_000; i++) {
                        ring.poll(0);
                        ring.read(8, summer);
                    }
                    ready.countDown();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    long before = -1;
                    while (summer.frames < warmup + measured && System.nanoTime() < deadline) {
                        if (before < 0 && summer.frames >= warmup) before = threads.getCurrentThreadAllocatedBytes();
                        if (ring.poll(100)) ring.read(8, summer);
                    }
                    allocated[0] = threads.getCurrentThreadAllocatedBytes() - before;
                    return null;
                });
                Thread.ofPlatform().start(receiver);
                ready.await();
                a.run(() -> {
                    try (DatagramSocket s = new DatagramSocket()) {
                        byte[] p = new byte[64];
                        DatagramPacket d = new DatagramPacket(p, p.length, new InetSocketAddress(b.ipv4(), PORT));
                        for (int i = 0; !receiver.isDone() && i < 10 * (warmup + measured); i++) {
                            s.send(d);
                            if (i % 200 == 199) Thread.sleep(1);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                receiver.get(90, TimeUnit.SECONDS);
                assertThat(summer.frames).isGreaterThanOrEqualTo(warmup + measured);
                // one object per frame would be >= 320,000 bytes
                assertThat(allocated[0]).as("bytes allocated while reading %d frames", measured).isLessThan(16_384);
            }
        }
    }
}
