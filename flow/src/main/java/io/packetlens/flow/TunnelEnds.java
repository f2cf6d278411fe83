package io.packetlens.flow;

import java.net.InetAddress;
import java.util.Objects;

/**
 * The outer addresses of a tunnelled flow: the {@code outer_src} and {@code outer_dst} of {@code struct pl_flow_stats},
 * from the packet that created its table entry (IPv4 as {@link java.net.Inet4Address}).
 */
public record TunnelEnds(InetAddress source, InetAddress destination) {
    public TunnelEnds {
        Objects.requireNonNull(source);
        Objects.requireNonNull(destination);
    }

    /** The addresses in their 16-byte kernel form at {@code srcOffset} and {@code dstOffset} of {@code b}, or null if both are zero. */
    static TunnelEnds of(byte[] b, int srcOffset, int dstOffset) {
        boolean zero = true;
        for (int i = 0; i < 16 && zero; i++) zero = b[srcOffset + i] == 0 && b[dstOffset + i] == 0;
        if (zero) return null;
        return new TunnelEnds(FlowKey.address(b, srcOffset), FlowKey.address(b, dstOffset));
    }

    @Override
    public String toString() {
        return source.getHostAddress() + " -> " + destination.getHostAddress();
    }
}
