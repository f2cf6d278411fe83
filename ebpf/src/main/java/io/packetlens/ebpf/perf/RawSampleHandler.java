package io.packetlens.ebpf.perf;

import java.lang.foreign.MemorySegment;

/**
 * Receives the raw data of one BPF output sample ({@code bpf_perf_event_output}) without a view
 * object per sample: the sample is the {@code length} bytes at {@code offset} in {@code area}.
 * It mirrors libbpf's {@code perf_buffer} sample callback ({@code cpu, data, size}), with the
 * pointer split into a segment and an offset:
 * <ul>
 *   <li>{@code area} is normally the data area of CPU {@code cpu}'s ring (the pages after
 *   {@code struct perf_event_mmap_page}), and {@code offset} points just past the sample's
 *   {@code struct perf_event_header} and {@code u32 size} (the PERF_SAMPLE_RAW data of a
 *   PERF_RECORD_SAMPLE);</li>
 *   <li>for a sample that ran past the end of the data area, {@code area} is that ring's
 *   reassembly buffer, into which the record was copied whole.</li>
 * </ul>
 * Both segments are read-only and stay the same objects for the life of the reader, so a handler
 * may keep them (or compare them) across calls; the bytes, however, are valid only during the
 * call (the kernel reuses the space once data_tail moves past it). {@code area.asSlice(offset, length)}
 * gives a view when one is wanted; {@link SampleHandler} is that form. As with
 * {@link SampleHandler}, the kernel pads raw data so the whole record is 8-byte aligned, so
 * {@code length} may exceed what the program emitted by up to 7 bytes.
 */
@FunctionalInterface
public interface RawSampleHandler {
    void onSample(int cpu, MemorySegment area, long offset, int length);
}
