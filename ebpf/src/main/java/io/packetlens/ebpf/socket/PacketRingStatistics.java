package io.packetlens.ebpf.socket;

/**
 * A {@link PacketRing}'s kernel counters since it was opened ({@code struct tpacket_stats_v3} from PACKET_STATISTICS,
 * summed over reads, since each read resets the kernel's counts).
 *
 * @param packets frames the socket took in, dropped ones included (the kernel adds the drops to its count)
 * @param drops   frames lost because no block was free (user space too slow: the ring was full)
 * @param freezes times the ring filled up and the kernel stopped filling it until a block came back
 */
public record PacketRingStatistics(long packets, long drops, long freezes) {
    public static final PacketRingStatistics ZERO = new PacketRingStatistics(0, 0, 0);

    public PacketRingStatistics plus(PacketRingStatistics o) {
        return new PacketRingStatistics(packets + o.packets, drops + o.drops, freezes + o.freezes);
    }
}
