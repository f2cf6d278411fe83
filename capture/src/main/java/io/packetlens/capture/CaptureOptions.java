package io.packetlens.capture;

import io.packetlens.ebpf.link.XdpMode;
import io.packetlens.ebpf.xsk.BindMode;
import io.packetlens.programs.capture.CaptureMode;
import io.packetlens.programs.filter.CaptureFilter;

/**
 * What to capture and how.
 *
 * @param ifname         interface (in the calling thread's network namespace)
 * @param mode           {@link CaptureMode#MIRROR} (default: the host keeps every frame) or {@link CaptureMode#STEAL}
 * @param filter         which frames to keep (compiled into map entries)
 * @param snaplen        most bytes stored per frame (mirror mode copies at most 4096)
 * @param xdpMode        how the XDP program attaches (driver if possible, else generic)
 * @param bindMode       steal mode: copy or zero-copy AF_XDP sockets
 * @param ringBytes      mirror mode: ring buffer size (a power of two)
 * @param framesPerQueue steal mode: UMEM frames and RX ring entries per RX queue (a power of two); they absorb bursts
 *                       while the capture thread is not running
 * @param fallback       when the capture program cannot be loaded or attached, capture from an AF_PACKET ring instead
 *                       (default true; see {@link Capture})
 */
public record CaptureOptions(String ifname, CaptureMode mode, CaptureFilter filter, int snaplen, XdpMode xdpMode,
                             BindMode bindMode, int ringBytes, int framesPerQueue, boolean fallback) {
    public static final int DEFAULT_SNAPLEN = 65535;

    public CaptureOptions {
        if (ifname == null || ifname.isEmpty()) throw new IllegalArgumentException("an interface is needed");
        if (snaplen < 1) throw new IllegalArgumentException("snap length must be >= 1");
        if (Integer.bitCount(ringBytes) != 1 || ringBytes < 4096) throw new IllegalArgumentException("ring size must be a power of two >= 4096, not " + ringBytes);
        if (Integer.bitCount(framesPerQueue) != 1) throw new IllegalArgumentException("frames per queue must be a power of two, not " + framesPerQueue);
    }

    /** Mirror mode, no filter, 65535-byte snap length, automatic XDP and bind modes, a 32 MiB ring, 32768 frames per queue (64 MiB at 1500-byte MTU). */
    public static CaptureOptions of(String ifname) {
        return new CaptureOptions(ifname, CaptureMode.MIRROR, CaptureFilter.all(), DEFAULT_SNAPLEN, XdpMode.AUTO, BindMode.AUTO, 32 << 20, 32768, true);
    }

    public CaptureOptions mode(CaptureMode m) {
        return new CaptureOptions(ifname, m, filter, snaplen, xdpMode, bindMode, ringBytes, framesPerQueue, fallback);
    }

    public CaptureOptions filter(CaptureFilter f) {
        return new CaptureOptions(ifname, mode, f, snaplen, xdpMode, bindMode, ringBytes, framesPerQueue, fallback);
    }

    public CaptureOptions snaplen(int n) {
        return new CaptureOptions(ifname, mode, filter, n, xdpMode, bindMode, ringBytes, framesPerQueue, fallback);
    }

    public CaptureOptions xdpMode(XdpMode m) {
        return new CaptureOptions(ifname, mode, filter, snaplen, m, bindMode, ringBytes, framesPerQueue, fallback);
    }

    public CaptureOptions bindMode(BindMode m) {
        return new CaptureOptions(ifname, mode, filter, snaplen, xdpMode, m, ringBytes, framesPerQueue, fallback);
    }

    public CaptureOptions ringBytes(int n) {
        return new CaptureOptions(ifname, mode, filter, snaplen, xdpMode, bindMode, n, framesPerQueue, fallback);
    }

    public CaptureOptions framesPerQueue(int n) {
        return new CaptureOptions(ifname, mode, filter, snaplen, xdpMode, bindMode, ringBytes, n, fallback);
    }

    /** Whether a capture whose program cannot be loaded or attached falls back to AF_PACKET (true) or fails. */
    public CaptureOptions fallback(boolean b) {
        return new CaptureOptions(ifname, mode, filter, snaplen, xdpMode, bindMode, ringBytes, framesPerQueue, b);
    }
}
