package io.packetlens.trafficgen;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/** Stamped frames carry the flow's ports and a checksum equal to a full recomputation. */
class FlowFramesTest {
    private static int checksum(byte[] f, int l4, int len, byte[] src, byte[] dst, int proto) {
        long s = 0;
        for (int i = 0; i < 4; i += 2) s += ((src[i] & 0xff) << 8 | (src[i + 1] & 0xff)) + ((dst[i] & 0xff) << 8 | (dst[i + 1] & 0xff));
        s += proto + len;
        for (int i = 0; i + 1 < len; i += 2) s += (f[l4 + i] & 0xff) << 8 | (f[l4 + i + 1] & 0xff);
        if ((len & 1) != 0) s += (f[l4 + len - 1] & 0xff) << 8;
        while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
        return (int) s; // 0xffff when the stored checksum is right
    }

    @Test
    void everyFlowHasItsPortsAndAValidChecksum() {
        byte[] src = {10, 1, 2, 3}, dst = {10, 9, 8, 7};
        for (FlowFrames.Protocol p : FlowFrames.Protocol.values()) {
            for (int size : new int[] {60, 61, 1514}) {
                FlowFrames ff = new FlowFrames(p, size, 70_000, new byte[6], new byte[] {-1, -1, -1, -1, -1, -1},
                        InetAddress.ofLiteral("10.1.2.3"), InetAddress.ofLiteral("10.9.8.7"), 5000);
                for (int flow : new int[] {0, 1, 17, 64_511, 64_512, 69_999}) {
                    byte[] f = ff.frame(flow);
                    assertThat(f).hasSize(size);
                    ByteBuffer b = ByteBuffer.wrap(f);
                    assertThat(Short.toUnsignedInt(b.getShort(34))).isEqualTo(1024 + flow % 64512);
                    assertThat(Short.toUnsignedInt(b.getShort(36))).isEqualTo(5000 + flow / 64512);
                    assertThat(checksum(f, 34, size - 34, src, dst, p == FlowFrames.Protocol.UDP ? 17 : 6)).as("%s size %d flow %d", p, size, flow).isEqualTo(0xffff);
                    // IPv4 header checksum
                    long s = 0;
                    for (int i = 14; i < 34; i += 2) s += Short.toUnsignedInt(b.getShort(i));
                    while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
                    assertThat(s).isEqualTo(0xffff);
                }
            }
        }
    }
}
