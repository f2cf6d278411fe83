package io.packetlens.trafficgen;

import io.packetlens.ebpf.link.Interfaces;
import io.packetlens.packet.Frame;

/** MAC addresses for the traffic generator: an interface's (in the calling thread's namespace), or one written out. */
public final class InterfaceMac {
    private InterfaceMac() {}

    /** The hardware address of {@code ifname} (SIOCGIFHWADDR). */
    public static byte[] of(String ifname) {
        return Interfaces.hardwareAddress(ifname);
    }

    /** Six colon-separated hex bytes, either case. */
    public static byte[] parse(String mac) {
        return Frame.mac(mac);
    }
}
