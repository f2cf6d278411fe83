package io.packetlens.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.ByteBuffer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Stamped frames carry the flow's ports and a checksum equal to a full recomputation. */
class FlowFramesTest {
    private static final byte[] SRC = {10, 1, 2, 3}, DST = {10, 9, 8, 7};

    private static FlowFrames frames(FlowFrames.Protocol p, int size, int flows) {
        return new FlowFrames(p, size, flows, new byte[6], new byte[] {-1, -1, -1, -1, -1, -1},
                InetAddress.ofLiteral("10.1.2.3"), InetAddress.ofLiteral("10.9.8.7"), 5000);
    }

    @Test
    void everyFlowHasItsPortsAndValidChecksums() {
        for (FlowFrames.Protocol p : FlowFrames.Protocol.values()) {
            int proto = p == FlowFrames.Protocol.UDP ? IpProtocol.UDP : IpProtocol.TCP;
            for (int size : new int[] {60, 61, 1514}) {
                FlowFrames ff = frames(p, size, 70_000);
                assertThat(ff.size()).isEqualTo(size);
                for (int flow : new int[] {0, 1, 17, 64_511, 64_512, 69_999}) {
                    byte[] f = ff.frame(flow);
                    assertThat(f).hasSize(size);
                    ByteBuffer b = ByteBuffer.wrap(f);
                    assertThat(Short.toUnsignedInt(b.getShort(34))).isEqualTo(1024 + flow % 64512).isEqualTo(FlowFrames.srcPort(flow));
                    assertThat(Short.toUnsignedInt(b.getShort(36))).isEqualTo(5000 + flow / 64512).isEqualTo(ff.dstPort(flow));
                    long pseudo = Checksums.pseudoHeader(SRC, DST, proto, size - 34);
                    assertThat(Checksums.verifies(f, 34, size - 34, pseudo)).as("%s size %d flow %d", p, size, flow).isTrue();
                    assertThat(Checksums.verifies(f, 14, 20, 0)).as("IPv4 header checksum").isTrue();
                    ParsedPacket parsed = PacketParser.parse(f);
                    assertThat(parsed.protocol()).isEqualTo(proto);
                    assertThat(parsed.ipLength()).isEqualTo(size - 14);
                }
            }
        }
    }

    @Test
    void stampingATemplateInPlaceGivesTheSameFrame() {
        FlowFrames ff = frames(FlowFrames.Protocol.TCP, 128, 100);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment area = arena.allocate(4096);
            ff.writeTemplate(area, 1000);
            for (int flow = 0; flow < 100; flow++) {
                ff.stamp(area, 1000, flow);
                assertThat(area.asSlice(1000, 128).toArray(JAVA_BYTE)).isEqualTo(ff.frame(flow));
            }
        }
    }

    @Test
    void badSizesFlowsAndPortsAreRefused() {
        assertThatThrownBy(() -> frames(FlowFrames.Protocol.TCP, 53, 1)).hasMessageContaining("54..9000");
        assertThatThrownBy(() -> frames(FlowFrames.Protocol.UDP, 60, 0)).hasMessageContaining("flows");
        assertThatThrownBy(() -> new FlowFrames(FlowFrames.Protocol.UDP, 60, 1, new byte[6], new byte[6],
                InetAddress.ofLiteral("::1"), InetAddress.ofLiteral("::2"), 1)).hasMessageContaining("IPv4");
    }
}
