package io.packetlens.ebpf.netlink;

/**
 * Constants of rtnetlink (linux/rtnetlink.h, if_link.h, pkt_sched.h, pkt_cls.h) used to
 * attach programs: link messages with their IFLA_XDP nest, and traffic-control messages
 * for the clsact qdisc and cls_bpf filters.
 */
public final class Rtnetlink {
    // message types
    public static final int RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_SETLINK = 19;
    public static final int RTM_NEWQDISC = 36, RTM_DELQDISC = 37, RTM_GETQDISC = 38;
    public static final int RTM_NEWTFILTER = 44, RTM_DELTFILTER = 45, RTM_GETTFILTER = 46;

    // link attributes (enum IFLA_*)
    public static final int IFLA_IFNAME = 3, IFLA_EXT_MASK = 29, IFLA_XDP = 43;
    /** Nested in IFLA_XDP. */
    public static final int IFLA_XDP_FD = 1, IFLA_XDP_ATTACHED = 2, IFLA_XDP_FLAGS = 3, IFLA_XDP_PROG_ID = 4,
            IFLA_XDP_DRV_PROG_ID = 5, IFLA_XDP_SKB_PROG_ID = 6, IFLA_XDP_HW_PROG_ID = 7, IFLA_XDP_EXPECTED_FD = 8;
    public static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1, XDP_FLAGS_SKB_MODE = 1 << 1, XDP_FLAGS_DRV_MODE = 1 << 2,
            XDP_FLAGS_HW_MODE = 1 << 3, XDP_FLAGS_REPLACE = 1 << 4;
    /** Values of IFLA_XDP_ATTACHED. */
    public static final int XDP_ATTACHED_NONE = 0, XDP_ATTACHED_DRV = 1, XDP_ATTACHED_SKB = 2, XDP_ATTACHED_HW = 3,
            XDP_ATTACHED_MULTI = 4;

    // traffic control attributes (enum TCA_*)
    public static final int TCA_KIND = 1, TCA_OPTIONS = 2, TCA_CHAIN = 11, TCA_EXT_WARN_MSG = 16;
    /** Nested in TCA_OPTIONS of a "bpf" filter. */
    public static final int TCA_BPF_ACT = 1, TCA_BPF_CLASSID = 3, TCA_BPF_FD = 6, TCA_BPF_NAME = 7, TCA_BPF_FLAGS = 8,
            TCA_BPF_FLAGS_GEN = 9, TCA_BPF_TAG = 10, TCA_BPF_ID = 11;
    /** The program's return value is the TC action (no separate action needed). */
    public static final int TCA_BPF_FLAG_ACT_DIRECT = 1;
    public static final int TCA_CLS_FLAGS_SKIP_HW = 1, TCA_CLS_FLAGS_SKIP_SW = 2;

    // traffic control handles (pkt_sched.h)
    public static final int TC_H_MAJ_MASK = 0xFFFF0000, TC_H_MIN_MASK = 0x0000FFFF;
    public static final int TC_H_UNSPEC = 0, TC_H_ROOT = 0xFFFFFFFF, TC_H_INGRESS = 0xFFFFFFF1, TC_H_CLSACT = TC_H_INGRESS;
    public static final int TC_H_MIN_INGRESS = 0xFFF2, TC_H_MIN_EGRESS = 0xFFF3;

    /** ETH_P_ALL: a filter for every protocol. */
    public static final int ETH_P_ALL = 0x0003;

    private Rtnetlink() {}

    /** TC_H_MAKE(major, minor). */
    public static int tcHandle(int major, int minor) {
        return (major & TC_H_MAJ_MASK) | (minor & TC_H_MIN_MASK);
    }

    /** A 16-bit value in network byte order, as tcm_info wants the protocol. */
    public static int htons(int v) {
        return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
    }
}
