package io.packetlens.cli;

import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.lab.Host;
import io.packetlens.packet.Frame;

/**
 * Sends 802.1Q-tagged IPv4/UDP frames from one lab host to the other through an AF_PACKET
 * socket. The demo uses it for its VLAN traffic because VLAN devices need a kernel built with
 * 8021q, and tagged frames on the wire are what the flow program must parse either way; the
 * receiving stack drops them after XDP has counted them.
 */
final class VlanSender {
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
        return Frame.ethernet(srcMac, dstMac).vlan(vlan).ipv4(new byte[] {10, (byte) 199, (byte) vlan, 1},
                new byte[] {10, (byte) 199, (byte) vlan, 2}).dontFragment().udp(40_000, 9000).payload(payload).build();
    }
}
