package io.packetlens.programs.capture;

/**
 * Byte layouts shared with {@code xsk_capture.bpf.c}: the metadata block the steal program
 * writes before each frame ({@code struct pl_xsk_meta}), the mirror ring buffer record header
 * ({@code struct pl_cap_hdr}) and the counter slots ({@code enum pl_cap_stat}).
 */
public final class CaptureLayout {
    private CaptureLayout() {}

    /** struct pl_xsk_meta sits right before the frame: these are offsets relative to the frame start. */
    public static final int META_TSTAMP = -16, META_MAGIC = -8, META_LEN = -4, META_SIZE = 16;
    /** "plm1": the program wrote the metadata for this frame (user space clears it before reuse). */
    public static final int META_MAGIC_VALUE = 0x706c6d31;

    /** struct pl_cap_hdr { u64 tstamp; u32 caplen; u32 len; u32 ifindex; u32 queue; }, then the frame bytes. */
    public static final int HDR_TSTAMP = 0, HDR_CAPLEN = 8, HDR_LEN = 12, HDR_IFINDEX = 16, HDR_QUEUE = 20, HDR_SIZE = 24;

    /** The most bytes per frame mirror mode copies (PL_SNAP_MAX). */
    public static final int SNAP_MAX = 4096;

    /** enum pl_cap_stat slots of the per-CPU cap_stats array. */
    public static final int STAT_SEEN = 0, STAT_MATCHED = 1, STAT_NO_SOCKET = 2, STAT_MIRROR_LOST = 3, STAT_MIRROR_COPIED = 4, STATS = 5;
}
