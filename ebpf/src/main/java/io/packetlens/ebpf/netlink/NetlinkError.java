package io.packetlens.ebpf.netlink;

import java.nio.ByteBuffer;

/**
 * A decoded NLMSG_ERROR message ({@code struct nlmsgerr}): the errno (0 for a plain ack),
 * the header of the request it answers, and the extended-ack fields the kernel adds when
 * NETLINK_EXT_ACK is on: a human-readable message (NLMSGERR_ATTR_MSG), the byte offset
 * of the offending attribute in the request (NLMSGERR_ATTR_OFFS) and a missing attribute
 * type (NLMSGERR_ATTR_MISS_TYPE). Absent fields are null / -1.
 */
public record NetlinkError(int errno, int requestType, int requestSeq, String message, int offset, int missingType) {

    /** Decodes the payload of an NLMSG_ERROR message whose header flags are {@code flags}. */
    public static NetlinkError decode(Message m) {
        if (!m.isError()) throw new IllegalArgumentException("not an NLMSG_ERROR message: " + m);
        ByteBuffer b = m.buffer();
        if (m.payload().length < Netlink.ERR_SIZE) {
            throw new NetlinkException("truncated NLMSG_ERROR: " + m.payload().length + " bytes", 0, null);
        }
        int error = b.getInt(Netlink.ERR_ERROR);
        int reqLen = b.getInt(Netlink.ERR_MSG + Netlink.HDR_LEN);
        int reqType = b.getShort(Netlink.ERR_MSG + Netlink.HDR_TYPE) & 0xffff;
        int reqSeq = b.getInt(Netlink.ERR_MSG + Netlink.HDR_SEQ);
        String text = null;
        int offs = -1;
        int miss = -1;
        if ((m.flags() & Netlink.NLM_F_ACK_TLVS) != 0) {
            // without NLM_F_CAPPED the whole request follows its header; the TLVs come after it
            int tlvStart = Netlink.ERR_SIZE;
            if ((m.flags() & Netlink.NLM_F_CAPPED) == 0) tlvStart = Netlink.ERR_MSG + Netlink.align(reqLen);
            if (tlvStart <= m.payload().length) {
                Attributes tlvs = Attributes.parse(b, tlvStart, m.payload().length - tlvStart);
                text = tlvs.get(Netlink.NLMSGERR_ATTR_MSG).map(Attribute::string).orElse(null);
                offs = tlvs.get(Netlink.NLMSGERR_ATTR_OFFS).map(Attribute::u32).orElse(-1);
                miss = tlvs.get(Netlink.NLMSGERR_ATTR_MISS_TYPE).map(Attribute::u32).orElse(-1);
            }
        }
        return new NetlinkError(-error, reqType, reqSeq, text, offs, miss);
    }

    /** Whether this is a positive acknowledgement (error 0). */
    public boolean isAck() {
        return errno == 0;
    }
}
