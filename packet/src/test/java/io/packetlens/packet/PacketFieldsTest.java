package io.packetlens.packet;

import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-place parse: one object reused over different frames gives what a fresh parse gives; a frame with its outer
 * tag taken out, parsed with that tag beside it, reads as the frame on the wire did (three tags included), cut at any
 * length; and parsing from native memory allocates nothing.
 */
class PacketFieldsTest {
    private static List<byte[]> frames() {
        List<byte[]> out = new ArrayList<>();
        out.add(Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1234, 53).payload(20).build());
        out.add(Frame.ethernet().ipv6("fd00::1", "fd00::2").hopByHop(1).tcp(40000, 443).tcpFlags(0x12).build());
        out.add(Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").fragment(3, false).protocol(17).payload(16).build());
        out.add(Frame.ethernet().ipv4("10.0.0.1", "10.0.0.2").icmp(8, 0).rest(1, 2).payload(8).build());
        out.add(Frame.ethernet().ethertype(0x0806).payload(new byte[28]).build());
        return out;
    }

    /** The frames with one, two and three tags (802.1ad outside, 802.1Q inside). */
    private static List<byte[]> tagged() {
        List<byte[]> out = new ArrayList<>();
        for (byte[] f : frames()) {
            byte[] one = Frame.pushVlan(f, EtherType.VLAN, 0x2000 | 100);
            out.add(one);
            byte[] two = Frame.pushVlan(one, EtherType.QINQ, 200);
            out.add(two);
            out.add(Frame.pushVlan(two, EtherType.VLAN, 300));
        }
        return out;
    }

    @Test
    void aReusedObjectParsesEachFrameAsAFreshOneWould() {
        PacketFields p = new PacketFields();
        List<byte[]> all = new ArrayList<>(frames());
        all.addAll(tagged());
        for (int round = 0; round < 2; round++) {
            for (byte[] f : all) {
                p.parse(MemorySegment.ofArray(f), 0, f.length, -1);
                assertThat(p.toParsedPacket()).isEqualTo(PacketParser.parse(f));
            }
        }
    }

    @Test
    void aFrameWithoutItsOuterTagParsesWithItAsOnTheWire() {
        PacketFields p = new PacketFields();
        int compared = 0;
        for (byte[] wire : tagged()) {
            int tci = (wire[14] & 0xff) << 8 | wire[15] & 0xff;
            // what veth hands AF_PACKET: the outer tag (bytes 12..15) taken out
            byte[] stripped = new byte[wire.length - 4];
            System.arraycopy(wire, 0, stripped, 0, 12);
            System.arraycopy(wire, 16, stripped, 12, wire.length - 16);
            for (int cut = 14; cut <= stripped.length; cut++) {
                p.parseWithOuterTag(MemorySegment.ofArray(stripped), 0, cut, tci);
                ParsedPacket ours = p.toParsedPacket();
                ParsedPacket onWire = PacketParser.parse(wire, cut + 4, -1);
                assertThat(shifted(ours)).as("%d-byte cut of %s", cut, Arrays.toString(wire)).isEqualTo(onWire);
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(500);
    }

    /** The parse of a frame 4 bytes shorter at the front of its headers, with its offsets moved to the wire frame's. */
    private static ParsedPacket shifted(ParsedPacket p) {
        return new ParsedPacket(p.status(), p.ethertype(), p.vlan(), p.ipVersion(), p.source(), p.destination(), p.sourcePort(),
                p.destinationPort(), p.protocol(), p.lastProtocol(), p.tcpFlags(), p.dscp(), p.fragment(), p.laterFragment(),
                p.ipLength(), p.l3Offset() == 0 ? 0 : p.l3Offset() + 4, p.l4Offset() == 0 ? 0 : p.l4Offset() + 4, p.moreFragments(),
                p.fragmentId(), p.fragmentOffset(), p.fragmentDataOffset() == 0 ? 0 : p.fragmentDataOffset() + 4);
    }

    @Test
    void parsingFramesInNativeMemoryAllocatesNothing() {
        List<byte[]> all = new ArrayList<>(frames());
        all.addAll(tagged());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] native_ = new MemorySegment[all.size()];
            for (int i = 0; i < native_.length; i++) {
                native_[i] = arena.allocate(all.get(i).length);
                MemorySegment.copy(all.get(i), 0, native_[i], JAVA_BYTE, 0, all.get(i).length);
            }
            PacketFields p = new PacketFields();
            long sum = 0;
            for (int i = 0; i < 200_000; i++) {
                MemorySegment s = native_[i % native_.length];
                sum += p.parse(s, 0, (int) s.byteSize(), -1).code() + p.sourcePort() + p.sourceByte(15);
            }
            ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                MemorySegment s = native_[i % native_.length];
                sum += p.parse(s, 0, (int) s.byteSize(), -1).code() + p.sourcePort() + p.sourceByte(15);
                sum += p.parseWithOuterTag(s, 0, (int) s.byteSize(), 7).code();
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(sum).isNotZero();
            // one object per parse would be >= 3,200,000 bytes
            assertThat(allocated).as("bytes allocated by 200,000 parses").isLessThan(16_384);
        }
    }
}
