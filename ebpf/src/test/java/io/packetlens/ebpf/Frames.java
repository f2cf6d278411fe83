package io.packetlens.ebpf;

import java.nio.ByteBuffer;

/** Builds Ethernet frames for test-run: IPv4/UDP with a given destination port, and a few malformed ones. */
final class Frames {
    private Frames() {}

    static byte[] ipv4Udp(int dstPort, int payload) {
        int len = 14 + 20 + 8 + payload;
        ByteBuffer b = ByteBuffer.allocate(len);
        b.put(new byte[] {2, 0, 0, 0, 0, 2}).put(new byte[] {2, 0, 0, 0, 0, 1}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + payload)).putShort((short) 1).putShort((short) 0)
                .put((byte) 64).put((byte) 17).putShort((short) 0)
                .put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        b.putShort((short) 40000).putShort((short) dstPort).putShort((short) (8 + payload)).putShort((short) 0);
        return b.array();
    }

    static byte[] arp() {
        ByteBuffer b = ByteBuffer.allocate(42);
        b.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(new byte[] {2, 0, 0, 0, 0, 1}).putShort((short) 0x0806);
        return b.array();
    }
}
