package io.packetlens.packet;

import java.lang.foreign.MemorySegment;

/**
 * Frames of one fixed size for a traffic generator, numbered {@code 0 .. frames() - 1}, made from a template so that
 * producing one costs a few stores and allocates nothing: the generator writes {@link #writeTemplate} into each of its
 * buffers once, then {@link #stamp}s frame {@code i} into a buffer before every send. Implementations:
 * {@link FlowFrames} (one address pair, many ports), {@link SourceFrames} (many source addresses), {@link FrameMix}
 * (several sources interleaved).
 */
public interface FrameSource {
    /** Bytes of every frame (no FCS). */
    int size();

    /** Distinct frames: a generator goes through 0 .. frames() - 1 and starts again. */
    int frames();

    /** Copies the template to {@code offset} of {@code dst}. */
    void writeTemplate(MemorySegment dst, long offset);

    /**
     * Turns the buffer at {@code offset}, which holds this source's template or any frame this source stamped there
     * before, into frame {@code index}. Allocates nothing.
     */
    void stamp(MemorySegment dst, long offset, int index);

    /** Frame {@code index} as bytes (tests, diagnostics; allocates). */
    default byte[] frame(int index) {
        MemorySegment m = MemorySegment.ofArray(new byte[size()]);
        writeTemplate(m, 0);
        stamp(m, 0, index);
        return m.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }
}
