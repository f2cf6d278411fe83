package io.packetlens.ebpf.socket;

import java.time.Duration;

/**
 * How a {@link PacketRing} is set up: the TPACKET_V3 ring's geometry ({@code struct tpacket_req3}), how much of each
 * frame is copied into it, and which direction it takes.
 *
 * @param blockSize     bytes per block, a power of two and a multiple of the page size; frames are packed into blocks,
 *                      and a block goes to user space when it is full or its retire timeout passed
 * @param blockCount    blocks in the ring; the ring holds {@code blockSize * blockCount} bytes, which absorb bursts
 *                      while the reading thread is busy or off the CPU
 * @param retireTimeout how long the kernel waits before handing over a block that is not full (1 ms .. 60 s): the
 *                      longest a frame waits in the kernel when traffic is light
 * @param snapLength    bytes of each frame copied into the ring (the rest only counts in the frame's length); a
 *                      classic BPF socket filter returning this length sets it (SO_ATTACH_FILTER: no bpf(2), no
 *                      capability)
 * @param incomingOnly  only frames this host received (PACKET_IGNORE_OUTGOING, or the frame's packet type on kernels
 *                      before 4.20); false: sent frames too, marked {@link PacketRing.Frame#outgoing()}
 */
public record PacketRingConfig(int blockSize, int blockCount, Duration retireTimeout, int snapLength, boolean incomingOnly) {
    /** The longest frame a ring stores: 64 KiB, the largest IP packet plus link headers. */
    public static final int MAX_SNAP_LENGTH = 65_535 + 64;

    public PacketRingConfig {
        if (blockSize < 4096 || Integer.bitCount(blockSize) != 1) throw new IllegalArgumentException("block size must be a power of two >= 4096, not " + blockSize);
        if (blockCount < 1) throw new IllegalArgumentException("block count must be >= 1, not " + blockCount);
        if ((long) blockSize * blockCount > (1L << 31) - 1) throw new IllegalArgumentException("ring of " + blockCount + " x " + blockSize + " bytes is over 2 GiB");
        long ms = retireTimeout.toMillis();
        if (ms < 1 || ms > 60_000) throw new IllegalArgumentException("retire timeout must be 1 ms .. 60 s, not " + retireTimeout);
        if (snapLength < 1 || snapLength > MAX_SNAP_LENGTH) throw new IllegalArgumentException("snap length must be 1.." + MAX_SNAP_LENGTH + ", not " + snapLength);
    }

    /**
     * A 32 MiB ring of 1 MiB blocks handed over after at most 10 ms, whole frames, received frames only: about 230,000
     * minimal frames, a quarter of a second at 1 M frames/s.
     */
    public static PacketRingConfig defaults() {
        return new PacketRingConfig(1 << 20, 32, Duration.ofMillis(10), MAX_SNAP_LENGTH, true);
    }

    public PacketRingConfig blocks(int size, int count) {
        return new PacketRingConfig(size, count, retireTimeout, snapLength, incomingOnly);
    }

    public PacketRingConfig retireTimeout(Duration d) {
        return new PacketRingConfig(blockSize, blockCount, d, snapLength, incomingOnly);
    }

    public PacketRingConfig snapLength(int n) {
        return new PacketRingConfig(blockSize, blockCount, retireTimeout, n, incomingOnly);
    }

    public PacketRingConfig incomingOnly(boolean b) {
        return new PacketRingConfig(blockSize, blockCount, retireTimeout, snapLength, b);
    }

    /** Bytes the ring maps. */
    public long ringBytes() {
        return (long) blockSize * blockCount;
    }
}
