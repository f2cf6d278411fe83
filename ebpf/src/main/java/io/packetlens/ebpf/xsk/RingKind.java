package io.packetlens.ebpf.xsk;

/**
 * The four AF_XDP rings: which socket option sizes each, where the kernel lets it be
 * mmap'd (the page offset), where its offsets sit in {@code struct xdp_mmap_offsets}, and
 * how big one entry is ({@code struct xdp_desc} for RX and TX, a u64 UMEM address for fill
 * and completion).
 */
public enum RingKind {
    /** Kernel produces received descriptors; user space consumes them. */
    RX(IfXdp.XDP_RX_RING, IfXdp.XDP_PGOFF_RX_RING, IfXdp.MmapOffsets.RX, IfXdp.Desc.SIZE),
    /** User space produces descriptors to send; the kernel consumes them. */
    TX(IfXdp.XDP_TX_RING, IfXdp.XDP_PGOFF_TX_RING, IfXdp.MmapOffsets.TX, IfXdp.Desc.SIZE),
    /** User space hands empty UMEM frames to the kernel for reception. */
    FILL(IfXdp.XDP_UMEM_FILL_RING, IfXdp.XDP_UMEM_PGOFF_FILL_RING, IfXdp.MmapOffsets.FILL, IfXdp.ADDR_SIZE),
    /** The kernel hands back UMEM frames whose transmission finished. */
    COMPLETION(IfXdp.XDP_UMEM_COMPLETION_RING, IfXdp.XDP_UMEM_PGOFF_COMPLETION_RING, IfXdp.MmapOffsets.COMPLETION, IfXdp.ADDR_SIZE);

    final int sockopt;
    final long pgoff;
    final int offsetsAt;
    final int entrySize;

    RingKind(int sockopt, long pgoff, int offsetsAt, int entrySize) {
        this.sockopt = sockopt;
        this.pgoff = pgoff;
        this.offsetsAt = offsetsAt;
        this.entrySize = entrySize;
    }
}
