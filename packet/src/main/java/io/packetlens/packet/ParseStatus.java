package io.packetlens.packet;

/** How far {@link PacketParser} got in a frame: {@code enum pl_parse_result} of {@code packetlens_parse.h}, same codes. */
public enum ParseStatus {
    /** Parsed to the end: the IP header and the transport header, if the parser reads one for the protocol. */
    OK(0),
    /** Neither IPv4 nor IPv6 after the VLAN tags (ARP, LLDP, a third tag ...). */
    NOT_IP(1),
    /** The frame ends inside a header. */
    TRUNCATED(2),
    /** The IP version does not match the ethertype, or an IPv4 header length below 5 words. */
    MALFORMED(3),
    /** More IPv6 extension headers than the parser walks ({@value PacketParser#MAX_IPV6_EXTENSION_HEADERS}). */
    EXT_LIMIT(4);

    private final int code;

    ParseStatus(int code) {
        this.code = code;
    }

    /** The number the kernel programs use. */
    public int code() {
        return code;
    }
}
