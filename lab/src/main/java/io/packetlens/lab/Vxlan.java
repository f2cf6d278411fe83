package io.packetlens.lab;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A VXLAN tunnel between the lab's two hosts: a kernel vxlan device {@code vx<vni>} in each namespace, over the veth
 * pair to the peer's address on UDP 4789, with an inner IPv4 /24 and static neighbours, so that nothing but the
 * caller's datagrams crosses it (no ARP, no IPv6 on the tunnel). The devices go with the namespaces when the lab closes.
 */
public record Vxlan(int vni, String device, String innerA, String innerB) {
    /** The IANA VXLAN port the devices use. */
    public static final int PORT = 4789;

    /** The inner addresses of host a and host b. */
    public static final String INNER_A = "10.242.0.1", INNER_B = "10.242.0.2";

    /** Sets the tunnel up between {@code lab}'s hosts, a at {@link #INNER_A} and b at {@link #INNER_B}. */
    public static Vxlan create(Lab lab, int vni) throws IOException {
        Vxlan v = new Vxlan(vni, "vx" + vni, INNER_A, INNER_B);
        String macA = v.device(lab.a(), lab.b(), v.innerA), macB = v.device(lab.b(), lab.a(), v.innerB);
        lab.a().exec("ip", "neigh", "replace", v.innerB, "lladdr", macB, "dev", v.device, "nud", "permanent");
        lab.b().exec("ip", "neigh", "replace", v.innerA, "lladdr", macA, "dev", v.device, "nud", "permanent");
        return v;
    }

    /** Outer Ethernet, IPv4, UDP and VXLAN headers, and the inner Ethernet header: what a frame on the veth adds. */
    public static final int OVERHEAD = 14 + 20 + 8 + 8 + 14;

    private String device(Host h, Host peer, String address) throws IOException {
        h.exec("ip", "link", "add", device, "type", "vxlan", "id", Integer.toString(vni), "local", h.ipv4(), "remote", peer.ipv4(),
                "dstport", Integer.toString(PORT), "dev", h.ifname());
        h.exec("sysctl", "-qw", "net.ipv6.conf." + device + ".disable_ipv6=1");
        h.exec("ip", "addr", "add", address + "/24", "dev", device);
        h.exec("ip", "link", "set", device, "up");
        Matcher m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(h.exec("ip", "-o", "link", "show", device));
        if (!m.find()) throw new IOException("no MAC on " + device + " in " + h.namespace());
        return m.group(1);
    }
}
