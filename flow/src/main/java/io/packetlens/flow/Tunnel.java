package io.packetlens.flow;

import io.packetlens.packet.TunnelType;
import java.util.Objects;

/**
 * The tunnel a flow's packets came out of: the {@code tunnel} and {@code tunnel_id} fields of {@code struct pl_flow_key}.
 * {@code id} is the VXLAN VNI (24 bits) or the GRE key (32 bits), 0 for IP in IP and GRE without a key.
 */
public record Tunnel(TunnelType type, long id) {
    /** A flow outside any tunnel. */
    public static final Tunnel NONE = new Tunnel(TunnelType.NONE, 0);

    /** RFC 7133's encapsulation type for VXLAN in the first octet of layer2SegmentId. */
    private static final long SEGMENT_VXLAN = 0x01L << 56;

    public Tunnel {
        Objects.requireNonNull(type);
        if (id < 0 || id > 0xffff_ffffL) throw new IllegalArgumentException("tunnel id " + id + " is not a u32");
        if (type == TunnelType.NONE && id != 0) throw new IllegalArgumentException("a flow outside a tunnel has no tunnel id");
    }

    public static Tunnel vxlan(long vni) {
        return new Tunnel(TunnelType.VXLAN, vni);
    }

    public static Tunnel gre(long key) {
        return new Tunnel(TunnelType.GRE, key);
    }

    public boolean isTunnel() {
        return type != TunnelType.NONE;
    }

    /**
     * IPFIX's layer2SegmentId (IE 351, RFC 7133): for VXLAN the encapsulation type 0x01 in the top octet and the VNI in
     * the low three; 0 for the others, which RFC 7133 gives no type.
     */
    public long layer2SegmentId() {
        return type == TunnelType.VXLAN ? SEGMENT_VXLAN | id : 0;
    }

    @Override
    public String toString() {
        return isTunnel() ? type.label() + ":" + id : "none";
    }
}
