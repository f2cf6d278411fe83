package io.packetlens.ebpf.netlink;

/**
 * Constants of linux/netlink.h: the {@code struct nlmsghdr} layout, message flags, the
 * control message types, the socket options of SOL_NETLINK and the extended-ack
 * attributes (NLMSGERR_ATTR_*) that follow an NLMSG_ERROR.
 */
public final class Netlink {
    /** Messages and attributes are padded to this boundary (NLMSG_ALIGNTO, NLA_ALIGNTO). */
    public static final int ALIGN = 4;

    /** {@code struct nlmsghdr}: u32 len, u16 type, u16 flags, u32 seq, u32 pid. */
    public static final int HDR_LEN = 0, HDR_TYPE = 4, HDR_FLAGS = 6, HDR_SEQ = 8, HDR_PID = 12;
    public static final int HDR_SIZE = 16;

    /** {@code struct nlattr} / {@code struct rtattr}: u16 len, u16 type, then the value. */
    public static final int ATTR_HDR_SIZE = 4;
    public static final int NLA_F_NESTED = 1 << 15, NLA_F_NET_BYTEORDER = 1 << 14;
    public static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

    public static final int NETLINK_ROUTE = 0;

    // nlmsg_flags
    public static final int NLM_F_REQUEST = 0x01, NLM_F_MULTI = 0x02, NLM_F_ACK = 0x04, NLM_F_ECHO = 0x08,
            NLM_F_DUMP_INTR = 0x10, NLM_F_DUMP_FILTERED = 0x20;
    /** Modifiers of GET requests. */
    public static final int NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    /** Modifiers of NEW requests. */
    public static final int NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400, NLM_F_APPEND = 0x800;
    /** Flags of an NLMSG_ERROR message (the ack). */
    public static final int NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;

    // control message types
    public static final int NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4;

    // SOL_NETLINK socket options
    public static final int NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11, NETLINK_GET_STRICT_CHK = 12;

    /** {@code struct nlmsgerr}: s32 error, then the header of the request it answers. */
    public static final int ERR_ERROR = 0, ERR_MSG = 4;
    public static final int ERR_SIZE = 4 + HDR_SIZE;

    // extended ack TLVs after the nlmsgerr
    public static final int NLMSGERR_ATTR_MSG = 1, NLMSGERR_ATTR_OFFS = 2, NLMSGERR_ATTR_COOKIE = 3,
            NLMSGERR_ATTR_POLICY = 4, NLMSGERR_ATTR_MISS_TYPE = 5, NLMSGERR_ATTR_MISS_NEST = 6;

    private Netlink() {}

    /** Rounds {@code n} up to the netlink alignment. */
    public static int align(int n) {
        return (n + ALIGN - 1) & ~(ALIGN - 1);
    }
}
