package io.packetlens.ebpf.xsk;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/** Test helper: complete Ethernet/IPv4/UDP frames with valid IP and UDP checksums. */
final class UdpFrames {
    private UdpFrames() {}

    static byte[] mac(String s) {
        return HexFormat.ofDelimiter(":").parseHex(s);
    }

    static byte[] ipv4(String s) {
        String[] p = s.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) b[i] = (byte) Integer.parseInt(p[i]);
        return b;
    }

    static byte[] frame(String srcMac, String dstMac, String srcIp, String dstIp, int srcPort, int dstPort, byte[] payload) {
        int udpLen = 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + udpLen);
        b.put(mac(dstMac)).put(mac(srcMac)).putShort((short) 0x0800);
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + udpLen)).putShort((short) 0x1234).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 17).putShort((short) 0).put(ipv4(srcIp)).put(ipv4(dstIp));
        b.putShort(ip + 10, (short) checksum(b.array(), ip, 20, 0));
        int udp = b.position();
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) udpLen).putShort((short) 0).put(payload);
        long pseudo = sum(ipv4(srcIp), 0, 4) + sum(ipv4(dstIp), 0, 4) + 17 + udpLen;
        int c = checksum(b.array(), udp, udpLen, pseudo);
        b.putShort(udp + 6, (short) (c == 0 ? 0xffff : c));
        return b.array();
    }

    static long sum(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i + 1 < len; i += 2) s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        if ((len & 1) != 0) s += (b[off + len - 1] & 0xff) << 8;
        return s;
    }

    static int checksum(byte[] b, int off, int len, long initial) {
        long s = initial + sum(b, off, len);
        while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
        return (int) (~s & 0xffff);
    }
}
