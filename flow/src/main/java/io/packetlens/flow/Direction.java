package io.packetlens.flow;

/** Which way a packet crossed the interface: the {@code direction} byte of {@code struct pl_flow_key}. */
public enum Direction {
    /** Received (XDP, TC ingress): {@code PL_FLOW_INGRESS}. */
    INGRESS,
    /** Sent (TC egress): {@code PL_FLOW_EGRESS}. */
    EGRESS;

    /** The kernel's number: the ordinal. */
    public int code() {
        return ordinal();
    }

    public static Direction of(int code) {
        return switch (code) {
            case 0 -> INGRESS;
            case 1 -> EGRESS;
            default -> throw new IllegalArgumentException("unknown direction " + code);
        };
    }
}
