package io.packetlens.packet;

/**
 * The tunnels the parser looks into, one level deep: {@code enum pl_tunnel_type} of {@code packetlens_tunnel.h}, with
 * the same numbers. {@link #label()} is the name outputs use (metrics labels, JSON).
 */
public enum TunnelType {
    /** Not in a tunnel, or not looked into. */
    NONE(0),
    /** VXLAN (RFC 7348): Ethernet in UDP to a configured port; the id is the VNI. */
    VXLAN(1),
    /** GRE version 0 (RFC 2784, 2890): IPv4, IPv6 or bridged Ethernet (0x6558); the id is the key, 0 without one. */
    GRE(2),
    /** IPv4 or IPv6 directly in IPv4 or IPv6 (protocols 4 and 41); no id. */
    IPIP(3);

    private final int code;

    TunnelType(int code) {
        this.code = code;
    }

    /** The number the kernel programs use. */
    public int code() {
        return code;
    }

    /** {@code none}, {@code vxlan}, {@code gre}, {@code ipip}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The type with this number. */
    public static TunnelType of(int code) {
        for (TunnelType t : values()) if (t.code == code) return t;
        throw new IllegalArgumentException("unknown tunnel type " + code);
    }
}
