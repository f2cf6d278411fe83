package io.packetlens.ebpf.link;

/**
 * The constants and record layouts of {@code packetlens_chain.h} (the kernel half of {@link XdpChain}), written out
 * once for Java. {@code ChainLayoutTest} compares them with the BTF of an object compiled against the header.
 */
final class ChainLayout {
    /** PL_XDP_CHAIN_SLOTS: entries of the chain's prog array. */
    static final int SLOTS = 64;
    /** PL_XDP_CHAIN_NO_SLOT: the slot of a program loaded outside any chain. */
    static final int NO_SLOT = 0xffffffff;

    /** PL_XDP_CHAIN_F_*: the flags of an owner record. */
    static final int F_MEMBER = 1, F_PINNED = 2, F_PROCESS = 4, F_END = 8;

    /** PL_XDP_CHAIN_MAGIC ("plxc") and the layout version of {@code struct pl_xdp_chain_meta}. */
    static final int MAGIC = 0x706c7863, VERSION = 1;

    /** {@code struct pl_xdp_chain_owner}: one per slot, in the pinned {@code owners} array. */
    static final class Owner {
        static final int FLAGS = 0, PID = 4, START_TIME = 8, PROG_ID = 16, SLOT_PROG_ID = 20, INNER_MAP_ID = 24,
                PID_NS = 28, NAME = 32;
        static final int NAME_LEN = 16;
        static final int SIZE = 48;

        private Owner() {}
    }

    /** {@code struct pl_xdp_chain_meta}: the one entry of the pinned {@code meta} array. */
    static final class Meta {
        static final int MAGIC = 0, VERSION = 4, IFINDEX = 8, XDP_MODE = 12, DISPATCHER_ID = 16, LINK_ID = 20, NET_NS = 24;
        static final int SIZE = 32;

        private Meta() {}
    }

    private ChainLayout() {}
}
