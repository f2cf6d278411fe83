package io.packetlens.ebpf.xsk;

/**
 * The AF_XDP user-space ABI of linux/if_xdp.h, declared once: socket option names, bind
 * flags, mmap page offsets of the four rings, and the byte offsets of the structures that
 * cross the boundary (sockaddr_xdp, xdp_umem_reg, xdp_mmap_offsets, xdp_statistics,
 * xdp_options, xdp_desc).
 */
final class IfXdp {
    private IfXdp() {}

    // socket options at level SOL_XDP
    static final int XDP_MMAP_OFFSETS = 1, XDP_RX_RING = 2, XDP_TX_RING = 3, XDP_UMEM_REG = 4,
            XDP_UMEM_FILL_RING = 5, XDP_UMEM_COMPLETION_RING = 6, XDP_STATISTICS = 7, XDP_OPTIONS = 8;

    // sxdp_flags
    static final int XDP_SHARED_UMEM = 1, XDP_COPY = 1 << 1, XDP_ZEROCOPY = 1 << 2, XDP_USE_NEED_WAKEUP = 1 << 3;

    /** The ring flags bit the kernel sets when it wants a wake-up (poll/sendto/recvfrom). */
    static final int XDP_RING_NEED_WAKEUP = 1;
    /** xdp_options.flags bit: the socket is bound in zero-copy mode. */
    static final int XDP_OPTIONS_ZEROCOPY = 1;

    // mmap offsets selecting the ring
    static final long XDP_PGOFF_RX_RING = 0, XDP_PGOFF_TX_RING = 0x80000000L,
            XDP_UMEM_PGOFF_FILL_RING = 0x100000000L, XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;

    /** struct sockaddr_xdp { u16 family; u16 flags; u32 ifindex; u32 queue_id; u32 shared_umem_fd; }. */
    static final class SockaddrXdp {
        static final int FAMILY = 0, FLAGS = 2, IFINDEX = 4, QUEUE_ID = 8, SHARED_UMEM_FD = 12;
        static final int SIZE = 16;
        private SockaddrXdp() {}
    }

    /**
     * struct xdp_umem_reg { u64 addr; u64 len; u32 chunk_size; u32 headroom; u32 flags; u32 tx_metadata_len; }.
     * Kernels before 6.8 know the 32-byte form without tx_metadata_len (then padding), so 32 fits all.
     */
    static final class UmemReg {
        static final int ADDR = 0, LEN = 8, CHUNK_SIZE = 16, HEADROOM = 20, FLAGS = 24, TX_METADATA_LEN = 28;
        static final int SIZE = 32;
        private UmemReg() {}
    }

    /** struct xdp_ring_offset { u64 producer, consumer, desc, flags; } four times: rx, tx, fill, completion. */
    static final class MmapOffsets {
        static final int PRODUCER = 0, CONSUMER = 8, DESC = 16, FLAGS = 24;
        static final int RING_SIZE = 32;
        static final int RX = 0, TX = 32, FILL = 64, COMPLETION = 96;
        static final int SIZE = 128;
        private MmapOffsets() {}
    }

    /** struct xdp_statistics: six u64 counters. */
    static final class Statistics {
        static final int RX_DROPPED = 0, RX_INVALID_DESCS = 8, TX_INVALID_DESCS = 16, RX_RING_FULL = 24,
                RX_FILL_RING_EMPTY_DESCS = 32, TX_RING_EMPTY_DESCS = 40;
        static final int SIZE = 48;
        private Statistics() {}
    }

    /** struct xdp_desc { u64 addr; u32 len; u32 options; }: an RX or TX ring entry. */
    static final class Desc {
        static final int ADDR = 0, LEN = 8, OPTIONS = 12;
        static final int SIZE = 16;
        private Desc() {}
    }

    /** A fill or completion ring entry: a u64 UMEM address. */
    static final int ADDR_SIZE = 8;
}
