package io.packetlens.flow;

/** Why a frame was counted as "other" instead of as a flow: {@code enum pl_other_reason} of packetlens_flow.h. */
public enum OtherReason {
    /** Neither IPv4 nor IPv6 (ARP, LLDP, a third VLAN tag ...): counted by ethertype. */
    ETHERTYPE(1),
    /** The frame ends inside a header; the key holds the ethertype and protocol reached. */
    TRUNCATED(2),
    /** The IP version does not match the ethertype, or an IPv4 header length below 5 words. */
    MALFORMED(3),
    /** More IPv6 extension headers than the parser walks ({@value ReferenceParser#MAX_IPV6_EXTENSION_HEADERS}). */
    EXT_LIMIT(4);

    private final int code;

    OtherReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static OtherReason of(int code) {
        for (OtherReason r : values()) if (r.code == code) return r;
        throw new IllegalArgumentException("unknown other-reason " + code);
    }
}
