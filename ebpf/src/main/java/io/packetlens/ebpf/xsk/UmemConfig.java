package io.packetlens.ebpf.xsk;

/**
 * Shape of a UMEM (the {@code struct xdp_umem_reg} it is registered with, plus the sizes of
 * its first fill and completion rings).
 *
 * @param frameCount     number of frames (chunks) in the area
 * @param frameSize      bytes per frame: a power of two from 2048 to the page size (aligned chunk mode)
 * @param headroom       bytes the kernel leaves free before each received frame, beyond its own XDP_PACKET_HEADROOM
 * @param fillSize       entries of the fill ring (a power of two)
 * @param completionSize entries of the completion ring (a power of two)
 */
public record UmemConfig(int frameCount, int frameSize, int headroom, int fillSize, int completionSize) {
    /** libxdp's defaults: 4096-byte frames, 2048-entry fill and completion rings; 4096 frames (16 MiB). */
    public static final UmemConfig DEFAULT = new UmemConfig(4096, 4096, 0, 2048, 2048);

    public UmemConfig {
        if (frameCount <= 0) throw new IllegalArgumentException("frameCount must be > 0, not " + frameCount);
        if (Integer.bitCount(frameSize) != 1 || frameSize < 2048) {
            throw new IllegalArgumentException("frameSize must be a power of two >= 2048, not " + frameSize);
        }
        if (headroom < 0 || headroom >= frameSize / 2) throw new IllegalArgumentException("headroom " + headroom + " out of range");
        powerOfTwo("fillSize", fillSize);
        powerOfTwo("completionSize", completionSize);
    }

    static void powerOfTwo(String what, int n) {
        if (n <= 0 || Integer.bitCount(n) != 1) throw new IllegalArgumentException(what + " must be a power of two > 0, not " + n);
    }

    public static UmemConfig defaults() {
        return DEFAULT;
    }

    public UmemConfig frameCount(int n) {
        return new UmemConfig(n, frameSize, headroom, fillSize, completionSize);
    }

    public UmemConfig frameSize(int n) {
        return new UmemConfig(frameCount, n, headroom, fillSize, completionSize);
    }

    public UmemConfig headroom(int n) {
        return new UmemConfig(frameCount, frameSize, n, fillSize, completionSize);
    }

    public UmemConfig fillSize(int n) {
        return new UmemConfig(frameCount, frameSize, headroom, n, completionSize);
    }

    public UmemConfig completionSize(int n) {
        return new UmemConfig(frameCount, frameSize, headroom, fillSize, n);
    }

    /** Bytes of the whole area. */
    public long areaSize() {
        return (long) frameCount * frameSize;
    }
}
