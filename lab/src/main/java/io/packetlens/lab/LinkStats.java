package io.packetlens.lab;

/** Packet and byte counters of a network interface, as the kernel reports them in {@code statistics/}. */
public record LinkStats(long rxPackets, long rxBytes, long txPackets, long txBytes) {

    /** The traffic between {@code earlier} and this snapshot. */
    public LinkStats minus(LinkStats earlier) {
        return new LinkStats(rxPackets - earlier.rxPackets, rxBytes - earlier.rxBytes,
                txPackets - earlier.txPackets, txBytes - earlier.txBytes);
    }
}
