package io.packetlens.cli;

import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.lab.Host;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * Sends 802.1Q-tagged IPv4/UDP frames from one lab host to the other through an AF_PACKET
 * socket. The demo uses it for its VLAN traffic because VLAN devices need a kernel built with
 * 8021q, and tagged frames on the wire are what the flow program must parse either way; the
 * receiving stack drops them after XDP has counted them.
 */
final class VlanSender {
    static final int ETH_HLEN = 14, VLAN_HLEN = 4, IP_HLEN = 20, UDP_HLEN = 8;

    private VlanSender() {}

    /** Sends {@code count} frames on VLAN {@code vlan}; returns the frame length. */
    static int send(Host from, Host to, int vlan, int count, int payload) throws Exception {
        byte[] frame = frame(from.mac(), to.mac(), vlan, payload);
        from.call(() -> {
            try (NativeSocket s = NativeSocket.packet().bindToInterface(from.ifindex())) {
                for (int i = 0; i < count; i++) s.send(frame);
            }
            return null;
        });
        return frame.length;
    }

    static byte[] frame(String srcMac, String dstMac, int vlan, int payload) {
        ByteBuffer b = ByteBuffer.allocate(ETH_HLEN + VLAN_HLEN + IP_HLEN + UDP_HLEN + payload);
        b.put(mac(dstMac)).put(mac(srcMac)).putShort((short) 0x8100).putShort((short) vlan).putShort((short) 0x0800);
        int ipStart = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) (IP_HLEN + UDP_HLEN + payload)).putShort((short) 0)
                .putShort((short) 0x4000).put((byte) 64).put((byte) 17).putShort((short) 0)
                .put(new byte[] {10, (byte) 199, (byte) vlan, 1}).put(new byte[] {10, (byte) 199, (byte) vlan, 2});
        b.putShort(ipStart + 10, checksum(b.array(), ipStart, IP_HLEN));
        b.putShort((short) 40_000).putShort((short) 9000).putShort((short) (UDP_HLEN + payload)).putShort((short) 0);
        for (int i = 0; i < payload; i++) b.put((byte) i);
        return b.array();
    }

    private static byte[] mac(String text) {
        return HexFormat.ofDelimiter(":").parseHex(text);
    }

    private static short checksum(byte[] d, int off, int len) {
        long sum = 0;
        for (int i = 0; i < len; i += 2) sum += ((d[off + i] & 0xff) << 8) | (d[off + i + 1] & 0xff);
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (short) ~sum;
    }
}
