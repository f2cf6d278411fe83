package io.packetlens.packet;

import java.util.List;

/**
 * Whether a tunnelled packet is accounted as the packet inside it, and which UDP ports carry VXLAN: the
 * {@code cfg_decap} and {@code cfg_vxlan_ports} constants of the flow program, and what {@link PacketFields} does in
 * Java. GRE and IP in IP need no port: their protocol numbers say what they are.
 *
 * @param enabled    look into tunnels; when false every packet is its outer packet
 * @param vxlanPorts UDP destination ports that carry VXLAN, at most {@value #MAX_VXLAN_PORTS}
 */
public record Decapsulation(boolean enabled, List<Integer> vxlanPorts) {
    /** {@code PL_VXLAN_PORTS}: the ports the kernel program has room for. */
    public static final int MAX_VXLAN_PORTS = 4;
    /** IANA's VXLAN port. */
    public static final int VXLAN_PORT = 4789;
    /** Tunnels looked into, VXLAN on port 4789: what the flow monitor does unless told otherwise. */
    public static final Decapsulation DEFAULT = new Decapsulation(true, List.of(VXLAN_PORT));
    /** Every packet accounted by its outer header. */
    public static final Decapsulation OFF = new Decapsulation(false, List.of(VXLAN_PORT));

    public Decapsulation {
        vxlanPorts = List.copyOf(vxlanPorts);
        if (vxlanPorts.size() > MAX_VXLAN_PORTS) {
            throw new IllegalArgumentException(vxlanPorts.size() + " VXLAN ports given; the kernel program takes at most " + MAX_VXLAN_PORTS);
        }
        for (int p : vxlanPorts) {
            if (p < 1 || p > 65535) throw new IllegalArgumentException("VXLAN port " + p + " is not a UDP port (1-65535)");
        }
    }

    /** Whether UDP to {@code port} is VXLAN here. */
    public boolean isVxlanPort(int port) {
        return enabled && vxlanPorts.contains(port);
    }
}
