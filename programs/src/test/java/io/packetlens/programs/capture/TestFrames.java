package io.packetlens.programs.capture;

import java.nio.ByteBuffer;

/** Test frames: Ethernet + IPv4/IPv6 + TCP/UDP headers (checksums not needed for test-run). */
final class TestFrames {
    private TestFrames() {}

    static byte[] v4(int proto, String src, String dst, int sport, int dport) {
        return v4(proto, src, dst, sport, dport, 0);
    }

    static byte[] v4(int proto, String src, String dst, int sport, int dport, int fragOffset) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + 16);
        b.put(new byte[6]).put(new byte[6]).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 20 + 16)).putShort((short) 1).putShort((short) fragOffset)
                .put((byte) 64).put((byte) proto).putShort((short) 0).put(ip(src)).put(ip(dst));
        b.putShort((short) sport).putShort((short) dport);
        return b.array();
    }

    static byte[] v6(int proto, String src, String dst, int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 20 + 16);
        b.put(new byte[6]).put(new byte[6]).putShort((short) 0x86dd);
        b.putInt(0x60000000).putShort((short) 36).put((byte) proto).put((byte) 64).put(ip(src)).put(ip(dst));
        b.putShort((short) sport).putShort((short) dport);
        return b.array();
    }

    static byte[] vlan(byte[] frame, int vid) {
        ByteBuffer b = ByteBuffer.allocate(frame.length + 4);
        b.put(frame, 0, 12).putShort((short) 0x8100).putShort((short) vid).put(frame, 12, frame.length - 12);
        return b.array();
    }

    static byte[] ip(String s) {
        return java.net.InetAddress.ofLiteral(s).getAddress();
    }
}
