package io.packetlens.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Flood frames from many sources: each frame's source address and port, both checksums equal to a full
 * recomputation, stamping in place; the mix's proportions and order; and that stamping allocates nothing.
 */
class SourceFramesTest {
    private static final byte[] MAC_A = {2, 0, 0, 0, 0, 1}, MAC_B = {2, 0, 0, 0, 0, 2};
    private static final Inet4Address FIRST = (Inet4Address) InetAddress.ofLiteral("10.77.0.0");
    private static final Inet4Address DST = (Inet4Address) InetAddress.ofLiteral("10.199.0.2");

    private static SourceFrames frames(SourceFrames.Kind kind, int size, int sources, int ports) {
        return new SourceFrames(kind, size, MAC_A, MAC_B, FIRST, sources, ports, DST, 19410);
    }

    private static void assertValid(byte[] f, SourceFrames.Kind kind, int size, String src, int sport) {
        assertThat(f).hasSize(size);
        ParsedPacket p = PacketParser.parse(f);
        assertThat(p.ok()).isTrue();
        assertThat(p.source().getHostAddress()).isEqualTo(src);
        assertThat(p.destination()).isEqualTo(DST);
        assertThat(p.sourcePort()).isEqualTo(sport);
        assertThat(p.destinationPort()).isEqualTo(19410);
        assertThat(Checksums.verifies(f, 14, 20, 0)).as("IPv4 header checksum of %s", src).isTrue();
        int ipLen = ByteBuffer.wrap(f).getShort(16) & 0xffff;
        int l4len = ipLen - 20;
        int proto = kind == SourceFrames.Kind.UDP ? IpProtocol.UDP : IpProtocol.TCP;
        assertThat(p.protocol()).isEqualTo(proto);
        long pseudo = Checksums.pseudoHeader(p.source().getAddress(), DST.getAddress(), proto, l4len);
        assertThat(Checksums.verifies(f, 34, l4len, pseudo)).as("%s checksum of %s:%d", kind, src, sport).isTrue();
        if (kind == SourceFrames.Kind.SYN) {
            assertThat(p.tcpFlags()).isEqualTo(0x02);
            assertThat(ipLen).as("a SYN carries no data; the rest is padding").isEqualTo(40);
        } else {
            assertThat(ipLen).isEqualTo(size - 14);
        }
    }

    @Test
    void everyFrameHasItsSourceAndValidChecksums() {
        for (SourceFrames.Kind kind : SourceFrames.Kind.values()) {
            for (int size : new int[] {60, 61, 128}) {
                SourceFrames sf = frames(kind, size, 65536, 3);
                assertThat(sf.frames()).isEqualTo(3 * 65536);
                for (int i : new int[] {0, 1, 255, 256, 65535, 65536, 65537, 3 * 65536 - 1}) {
                    String src = "10.77." + ((i % 65536) >> 8) + "." + (i % 256);
                    assertValid(sf.frame(i), kind, size, src, 1024 + i / 65536);
                }
            }
        }
        // every source of a /24, all 4 ports: the whole cycle
        SourceFrames small = frames(SourceFrames.Kind.SYN, 60, 256, 4);
        for (int i = 0; i < small.frames(); i++) assertValid(small.frame(i), SourceFrames.Kind.SYN, 60, "10.77.0." + (i % 256), 1024 + i / 256);
    }

    @Test
    void stampingInPlaceOverAnyEarlierFrameGivesTheSameFrame() {
        SourceFrames sf = frames(SourceFrames.Kind.UDP, 60, 1000, 2);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment area = arena.allocate(4096);
            sf.writeTemplate(area, 100);
            for (int i = 0; i < sf.frames(); i += 7) {
                sf.stamp(area, 100, i);
                assertThat(area.asSlice(100, 60).toArray(JAVA_BYTE)).isEqualTo(sf.frame(i));
            }
        }
    }

    @Test
    void aMixInterleavesItsPartsInProportionEachInItsOwnOrder() {
        SourceFrames udp = frames(SourceFrames.Kind.UDP, 60, 65536, 1);
        SourceFrames syn = new SourceFrames(SourceFrames.Kind.SYN, 60, MAC_A, MAC_B, (Inet4Address) InetAddress.ofLiteral("10.78.0.0"),
                256, 1, DST, 19410);
        FrameMix mix = new FrameMix(List.of(udp, syn), List.of(2, 1));
        assertThat(mix.frames()).as("long enough for the UDP part's whole cycle").isEqualTo(3 * 32768);
        int[] seen = new int[2];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(60);
            mix.writeTemplate(buf, 0);
            for (int i = 0; i < 3000; i++) {
                mix.stamp(buf, 0, i);
                int part = mix.partOf(i);
                // spread out: UDP, SYN, UDP, UDP, SYN, UDP, ...
                assertThat(part).isEqualTo(i % 3 == 1 ? 1 : 0);
                byte[] f = buf.toArray(JAVA_BYTE);
                // each part wraps round its own cycle (256 SYN sources here)
                byte[] want = part == 0 ? udp.frame(seen[0] % udp.frames()) : syn.frame(seen[1] % syn.frames());
                assertThat(f).as("frame %d", i).isEqualTo(want);
                seen[part]++;
            }
        }
        assertThat(seen).containsExactly(2000, 1000);
        assertThatThrownBy(() -> new FrameMix(List.of(udp, frames(SourceFrames.Kind.UDP, 61, 1, 1)), List.of(1, 1)))
                .hasMessageContaining("60 bytes");
    }

    @Test
    void stampingAllocatesNothing() {
        SourceFrames udp = frames(SourceFrames.Kind.UDP, 60, 65536, 1);
        SourceFrames syn = frames(SourceFrames.Kind.SYN, 60, 256, 64);
        FrameMix mix = new FrameMix(List.of(udp, syn), List.of(1, 1));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment area = arena.allocate(64 * 2048);
            for (int slot = 0; slot < 64; slot++) mix.writeTemplate(area, slot * 2048L);
            long sum = 0;
            for (int round = 0; round < 3; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 2_000_000; i++) {
                    long off = (i & 63) * 2048L;
                    mix.stamp(area, off, i % mix.frames());
                    sum += area.get(JAVA_BYTE, off + 27);
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                // the first round runs while the JIT compiles; the last must be clean
                if (round == 2) assertThat(allocated).as("bytes allocated for 2,000,000 stamps").isLessThan(4096);
            }
            assertThat(sum).isNotZero();
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> frames(SourceFrames.Kind.SYN, 53, 1, 1)).hasMessageContaining("54..");
        assertThatThrownBy(() -> frames(SourceFrames.Kind.UDP, 41, 1, 1)).hasMessageContaining("42..");
        assertThatThrownBy(() -> frames(SourceFrames.Kind.UDP, 60, 0, 1)).hasMessageContaining("sources");
        assertThatThrownBy(() -> frames(SourceFrames.Kind.UDP, 60, 1, 0)).hasMessageContaining("ports");
        assertThatThrownBy(() -> new SourceFrames(SourceFrames.Kind.UDP, 60, MAC_A, MAC_B,
                (Inet4Address) InetAddress.ofLiteral("255.255.255.0"), 257, 1, DST, 1)).hasMessageContaining("past");
    }
}
